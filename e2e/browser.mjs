// What every browser test file shares: Chromium with WebGL on SwiftShader
// (software GL, so the 3D viewer draws headless), signed-in pages whose
// requests may only go to the server, screenshots at two widths, axe-core.
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

export const root = resolve(import.meta.dirname, "..");
export const shots = join(root, "target/e2e");
export const fixture = (name) => join(root, "fixtures/files", name);
export const WIDTHS = { wide: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } };
const AXE = readFileSync(join(import.meta.dirname, "node_modules/axe-core/axe.min.js"), "utf8");

export async function launch() {
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-background-networking",
      "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
  });
}

// Requests from `context` to any origin but the server's are refused and
// collected in `external`.
export async function onlyServer(context, server, external) {
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== server.url && !url.protocol.startsWith("blob") && !url.protocol.startsWith("data")) {
      external.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
}

// A signed-in page for `user`; requests to any other origin are refused
// and collected in `external`.
export async function signedIn(browser, server, user, external, { admin = false, size = WIDTHS.wide } = {}) {
  const context = await browser.newContext({ viewport: size });
  await onlyServer(context, server, external);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // The UI asks /api/v1/me whether a sign-in session exists; without one
    // the answer is 401 by design, and Chromium logs every 4xx it fetches.
    const anonymousProbe = message.location().url?.endsWith("/api/v1/me") && message.text().includes("401");
    if (!anonymousProbe) errors.push(message.text());
  });
  page.errors = errors;
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Access token").fill(server.token(user, admin));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/projects");
  return { context, page };
}

export async function shoot(page, name) {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(shots, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS.wide);
}

// axe-core in the page (evaluated through the debugging protocol, which the
// page's CSP does not govern); fails on any violation, naming each.
// `rules` turns axe rules off by id: only for markup this project does not
// write (the vendored Swagger UI), each named where it is used.
export async function assertAccessible(page, name, { off = [] } = {}) {
  await page.evaluate(AXE);
  const rules = Object.fromEntries(off.map((id) => [id, { enabled: false }]));
  const violations = await page.evaluate(async (rules) => (await window.axe.run(document, { resultTypes: ["violations"], rules })).violations
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")})`), rules);
  assert.deepEqual(violations, [], `axe on ${name}`);
}

// A PDF of `count` pages, each saying "Page N" in large type.
export function manyPagePdf(count) {
  const objects = ["<< /Type /Catalog /Pages 2 0 R >>", null, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"];
  const kids = [];
  for (let n = 1; n <= count; n += 1) {
    const text = `BT /F1 48 Tf 72 700 Td (Page ${n}) Tj ET 0 0 1 RG 8 w 60 60 480 ${20 + n * 15} re S`;
    objects.push(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
    const content = objects.length;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`);
    kids.push(`${objects.length} 0 R`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(" ")}] /Count ${count} >>`;
  let body = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

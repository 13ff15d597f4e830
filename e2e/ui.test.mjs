// The web UI in a real browser: Debian's Chromium driven by Playwright.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { apiClient, startServer } from "./server.mjs";

const root = resolve(import.meta.dirname, "..");
const shots = join(root, "target/e2e");
const fixture = (name) => join(root, "fixtures/files", name);
const WIDTHS = { wide: { width: 1280, height: 900 }, narrow: { width: 390, height: 844 } };

let server;
let browser;
let owner;
const external = [];

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "bridge", title: "Harbour bridge", description: "Steelwork and fittings" });
  await owner("PUT", "/projects/bridge/members/bob", { role: "editor" });
  await owner("PUT", "/projects/bridge/members/vera", { role: "viewer" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(external, [], "the UI made requests to other hosts");
});

// A signed-in page for `user`, whose requests may only go to the server.
async function signedIn(user, size = WIDTHS.wide) {
  const context = await browser.newContext({ viewport: size });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== server.url && !url.protocol.startsWith("blob") && !url.protocol.startsWith("data")) {
      external.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Access token").fill(server.token(user, user === "olga"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/projects");
  return { context, page };
}

async function shoot(page, name) {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(shots, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS.wide);
}

test("sign in, see the projects, and the token stays out of URLs", async () => {
  const context = await browser.newContext({ viewport: WIDTHS.wide });
  const page = await context.newPage();
  await page.goto(`${server.url}/projects/bridge`);
  await page.waitForURL("**/login?next=*");
  await shoot(page, "login");
  await page.getByLabel("Access token").fill("not a token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("That is not a token").waitFor();
  const token = server.token("olga", true);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/projects/bridge");
  assert.ok(!page.url().includes(token));
  await page.goto(`${server.url}/projects`);
  await page.getByRole("link", { name: "Harbour bridge" }).waitFor();
  await shoot(page, "projects");
  await context.close();
});

test("upload several files with progress to completion; a wrong type gets the policy's message", async () => {
  const { context, page } = await signedIn("olga");
  await page.goto(`${server.url}/projects/bridge`);
  const big = join(shots, "big-blueprint.pdf");
  writeFileSync(big, Buffer.concat([readFileSync(fixture("blueprint.pdf")), Buffer.alloc(8_000_000, 32)]));
  await page.locator("#file-picker").setInputFiles([big, fixture("photo.png"), fixture("part_ascii.stl")]);
  for (const name of ["big-blueprint.pdf", "photo.png", "part_ascii.stl"]) {
    const item = page.locator(`li[data-file="${name}"]`);
    await item.getByText("Uploaded").waitFor({ timeout: 60000 });
  }
  const progress = page.locator('li[data-file="big-blueprint.pdf"] progress');
  assert.equal(await progress.count(), 1, "the finished upload keeps its full bar");
  assert.equal(await progress.evaluate((bar) => bar.value === bar.max && bar.max > 8_000_000), true);
  await page.locator("#documents tr", { hasText: "photo" }).waitFor();

  // The bytes of a PNG under a .pdf name: the server refuses it (415).
  const fake = join(shots, "fake.pdf");
  writeFileSync(fake, readFileSync(fixture("photo.png")));
  await page.locator("#file-picker").setInputFiles(fake);
  const refused = page.locator('li[data-file="fake.pdf"] .error');
  await refused.waitFor();
  assert.match(await refused.textContent(), /Refused: .*Allowed: \.pdf, \.png/);
  // A type the policy does not allow is named before anything is sent.
  const exe = join(shots, "setup.exe");
  writeFileSync(exe, "MZ");
  await page.locator("#file-picker").setInputFiles(exe);
  assert.match(await page.locator('li[data-file="setup.exe"] .error').textContent(), /not an allowed type/);
  await shoot(page, "project");
  await context.close();
});

test("history, restore and diff on the document page", async () => {
  const { context, page } = await signedIn("olga");
  await page.goto(`${server.url}/projects/bridge`);
  await page.locator("#documents a", { hasText: "part_ascii" }).click();
  await page.getByRole("heading", { name: "History" }).waitFor();
  await page.locator("#revision-file").setInputFiles(fixture("part_ascii_v2.stl"));
  await page.getByRole("button", { name: "Upload new revision" }).click();
  await page.locator('tr[data-revision="2"]').waitFor();
  await page.getByRole("button", { name: "Restore revision 1" }).click();
  await page.locator('tr[data-revision="3"]', { hasText: "restored from 1" }).waitFor();

  await page.locator("#diff-from").selectOption("1");
  await page.locator("#diff-to").selectOption("2");
  await page.getByRole("button", { name: "Compare" }).click();
  await page.locator("#diff pre.diff .add").first().waitFor();
  assert.ok((await page.locator("#diff pre.diff .del").count()) > 0, "removed lines are marked");
  await page.locator("#explain-user").selectOption("bob");
  await page.getByRole("button", { name: "Explain" }).click();
  await page.locator("#explain-answer", { hasText: "because" }).waitFor();
  await shoot(page, "document");

  await context.close();
});

test("search finds a word inside a file and highlights it", async () => {
  const { context, page } = await signedIn("olga");
  await page.goto(`${server.url}/projects/bridge`);
  // Indexing is asynchronous: search again until the file is indexed.
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await page.getByLabel("Search inside files").fill("bracketmount");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("#results h2").waitFor();
    if ((await page.locator("#results mark").count()) > 0) break;
    await page.waitForTimeout(250);
  }
  const mark = page.locator("#results mark").first();
  assert.equal((await mark.textContent()).toLowerCase(), "bracketmount");
  await page.locator("#results a", { hasText: "part_ascii" }).waitFor();
  await shoot(page, "search");
  await context.close();
});

test("a second browser sees a new upload live, with a toast", async () => {
  const { context: bobs, page: bob } = await signedIn("bob");
  await bob.goto(`${server.url}/projects/bridge`);
  await bob.locator("#documents table").waitFor();
  const { context: olgas, page: olga } = await signedIn("olga");
  await olga.goto(`${server.url}/projects/bridge`);
  await olga.locator("#file-picker").setInputFiles(fixture("model.glb"));
  await olga.locator('li[data-file="model.glb"]').getByText("Uploaded").waitFor();
  await bob.locator("#documents tr", { hasText: "model" }).waitFor({ timeout: 10000 });
  await bob.locator(".toast", { hasText: "olga uploaded" }).waitFor();
  await bobs.close();
  await olgas.close();
});

test("a viewer has no upload button and is told why when they drop a file", async () => {
  const { context, page } = await signedIn("vera");
  await page.goto(`${server.url}/projects/bridge`);
  await page.locator("#viewer-notice").waitFor();
  // Every document in the list shows its server-side preview (counted once
  // the list is drawn: the notice can come first).
  await page.locator("#documents tbody tr").first().waitFor();
  const rows = await page.locator("#documents tbody tr").count();
  await page.waitForFunction((n) => document.querySelectorAll("#documents img.thumb").length === n, rows);
  assert.equal(await page.locator("#file-picker").count(), 0);
  assert.equal(await page.getByRole("button", { name: /upload/i }).count(), 0);
  const transfer = await page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(["%PDF-1.4"], "plan.pdf", { type: "application/pdf" }));
    return data;
  });
  await page.locator("main").dispatchEvent("drop", { dataTransfer: transfer });
  await page.locator(".toast", { hasText: "as a viewer you cannot upload" }).waitFor();
  await shoot(page, "project-viewer");
  await context.close();
});

// Large files in the browser go over tus (tus-js-client): progress, pause,
// and a page reload in the middle, after which choosing the file again
// continues the same upload on the server to a byte-identical document.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { apiClient, startServer } from "./server.mjs";

const root = resolve(import.meta.dirname, "..");
const shots = join(root, "target/e2e");
const MIB = 1024 * 1024;

let server;
let browser;
let owner;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "bridge", title: "Harbour bridge" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a large file uploads resumably: pause, reload, choose it again, and it continues", async () => {
  const file = join(shots, "drawing-set.pdf");
  const bytes = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(22 * MIB)]);
  writeFileSync(file, bytes);
  const token = server.token("olga", true);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/projects");
  await page.goto(`${server.url}/projects/bridge`);

  // Each PATCH is held a moment, as on a slow link, so there is time to pause.
  const slow = async (route) => {
    await new Promise((done) => setTimeout(done, 1500));
    await route.continue().catch(() => {});
  };
  await page.route("**/api/v1/uploads/*", slow);
  await page.locator("#file-picker").setInputFiles(file);
  const item = page.locator('li[data-file="drawing-set.pdf"]');
  const bar = item.locator("progress");
  await page.waitForFunction(() => document.querySelector('li[data-file="drawing-set.pdf"] progress')?.value >= 5 * 1024 * 1024);
  await item.getByRole("button", { name: "Pause" }).click();
  await item.getByRole("button", { name: "Resume" }).waitFor();
  assert.equal(await bar.evaluate((b) => b.max), bytes.length, "progress counts the whole file");
  await page.screenshot({ path: join(shots, "tus-paused.png"), fullPage: true });

  // The server kept whole pieces; the browser remembers where they went.
  const stored = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith("tus::")).map(([, v]) => JSON.parse(v)));
  assert.equal(stored.length, 1);
  const uploadUrl = new URL(stored[0].uploadUrl, server.url).href;
  const head = async () => {
    const response = await fetch(uploadUrl, { method: "HEAD", headers: { Authorization: `Bearer ${token}`, "Tus-Resumable": "1.0.0" } });
    assert.equal(response.status, 200);
    return Number(response.headers.get("upload-offset"));
  };
  const kept = await head();
  assert.ok(kept >= 5 * MIB && kept < bytes.length, `the server kept ${kept} bytes`);

  // A reload: the page says what was interrupted; the same file continues.
  await page.unroute("**/api/v1/uploads/*", slow);
  await page.reload();
  await page.locator("#unfinished-uploads li", { hasText: "drawing-set.pdf" }).waitFor();
  const created = [];
  const offsets = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/uploads")) created.push(request.url());
    if (request.method() === "PATCH") offsets.push(Number(request.headers()["upload-offset"]));
  });
  await page.locator("#file-picker").setInputFiles(file);
  const again = page.locator('#main li[data-file="drawing-set.pdf"]', { hasText: "Uploaded" });
  await again.waitFor({ timeout: 60000 });
  assert.deepEqual(created, [], "no new upload was created");
  assert.equal(offsets[0], kept, "the first piece after the reload starts where the server stopped");
  await page.screenshot({ path: join(shots, "tus-done.png"), fullPage: true });

  const href = await again.getByRole("link").getAttribute("href");
  const id = href.split("/").pop();
  const content = await fetch(`${server.url}/api/v1/projects/bridge/documents/${id}/content`, { headers: { Authorization: `Bearer ${token}` } });
  const got = Buffer.from(await content.arrayBuffer());
  assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(readFileSync(file)).digest("hex"));
  const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("tus::")).length);
  assert.equal(left, 0, "a finished upload is forgotten");
  await context.close();
});

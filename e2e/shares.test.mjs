// Share links in a real browser: an editor makes a protected link in the
// share dialog; a stranger with a fresh browser (no token, no cookie)
// opens it, gives the password and downloads the file.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { apiClient, startServer } from "./server.mjs";

const root = resolve(import.meta.dirname, "..");
const shots = join(root, "target/e2e");
const fixture = (name) => join(root, "fixtures/files", name);
const PASSWORD = "Tide-table-42";

let server;
let browser;
let docId;
const external = [];

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "pier", title: "Ferry pier" });
  await owner("PUT", "/projects/pier/members/bob", { role: "editor" });
  const form = new FormData();
  form.append("file", new Blob([readFileSync(fixture("blueprint.pdf"))]), "pier-plan.pdf");
  const response = await fetch(`${server.url}/api/v1/projects/pier/documents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${server.token("bob")}` },
    body: form,
  });
  assert.equal(response.status, 201);
  docId = (await response.json()).id;
});

after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(external, [], "a page made requests to other hosts");
});

async function context() {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await ctx.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== server.url && !url.protocol.startsWith("blob") && !url.protocol.startsWith("data")) {
      external.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  return ctx;
}

test("an editor shares a document with a password; a stranger downloads it", async () => {
  const editor = await context();
  const page = await editor.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Access token").fill(server.token("bob"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/projects");
  await page.goto(`${server.url}/projects/pier/documents/${docId}`);
  await page.getByRole("heading", { name: "Share links" }).waitFor();
  await page.getByRole("button", { name: "Share…" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Expires after").selectOption("1d");
  await dialog.getByLabel("Password (optional)").fill(PASSWORD);
  await dialog.getByLabel("Download limit (optional)").fill("5");
  await page.screenshot({ path: join(shots, "share-dialog.png") });
  await dialog.getByRole("button", { name: "Create link" }).click();
  const field = dialog.getByLabel("Link");
  await field.waitFor();
  const link = await field.inputValue();
  assert.match(link, new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{43}$`));
  // The live redraw behind the dialog lists the link; the dialog stays.
  await page.locator("#shares tbody tr").first().waitFor();
  assert.equal(await field.inputValue(), link);
  await dialog.getByRole("button", { name: "Done" }).click();
  assert.equal(await page.locator("#shares .downloads").first().textContent(), "0 of 5");

  const stranger = await context();
  const open = await stranger.newPage();
  await open.goto(link);
  await open.getByRole("heading", { name: "This link is protected" }).waitFor();
  await open.getByLabel("Password").fill("not it");
  await open.getByRole("button", { name: "Open" }).click();
  await open.getByText("the password for this link is not right").waitFor();
  await open.getByLabel("Password").fill(PASSWORD);
  await open.getByRole("button", { name: "Open" }).click();
  await open.getByRole("heading", { name: "pier-plan" }).waitFor();
  await open.screenshot({ path: join(shots, "share-page.png") });
  const [download] = await Promise.all([open.waitForEvent("download"), open.getByRole("button", { name: "Download" }).click()]);
  assert.equal(download.suggestedFilename(), "pier-plan.pdf");
  const saved = join(shots, "shared-download.pdf");
  await download.saveAs(saved);
  assert.deepEqual(readFileSync(saved), readFileSync(fixture("blueprint.pdf")));
  const cookies = await stranger.cookies();
  assert.deepEqual(cookies, [], "the stranger needs no session");
  assert.equal(await open.evaluate(() => sessionStorage.length), 0, "and no token");

  // The editor's page counts the download as it happens.
  await page.locator("#shares .downloads", { hasText: "1 of 5" }).waitFor();
  await page.getByRole("button", { name: /^Revoke the link/ }).click();
  await page.locator("#shares td", { hasText: "revoked" }).waitFor();
  await open.reload();
  await open.getByRole("heading", { name: "This link is not available" }).waitFor();
  await editor.close();
  await stranger.close();
});

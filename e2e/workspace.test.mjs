// The workspace in Chromium: paging a long list, rename and tags, trash
// and restore, the "new revision of X?" prompt, members, overlay compare of
// two PNG revisions; axe on every page visited.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { apiClient, startServer, uploadAs } from "./server.mjs";
import { assertAccessible, fixture, launch, shoot, shots, signedIn } from "./browser.mjs";

let server;
let browser;
let owner;
const external = [];

function uploadBytes(slug, name, bytes, title) {
  return uploadAs(server, "olga", slug, name, bytes, title);
}

before(async () => {
  server = await startServer();
  browser = await launch();
  owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "yard", title: "Ship yard" });
  await owner("PUT", "/projects/yard/members/bob", { role: "editor" });
  await owner("POST", "/projects", { slug: "many", title: "Many drawings" });
  // 55 documents: one more page than the first 50, and then some.
  const png = readFileSync(fixture("photo.png"));
  for (let n = 1; n <= 55; n += 1) {
    await uploadBytes("many", `sheet-${String(n).padStart(2, "0")}.png`, Buffer.concat([png, Buffer.from([n])]));
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(external, [], "the UI made requests to other hosts");
});

test("a 55-document project pages to the last document, sorted by title, in the URL", async () => {
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/many`);
  await page.locator("#documents-count", { hasText: "Showing 50 of 55 documents" }).waitFor();
  await page.getByLabel("Sort by").selectOption("title");
  await page.waitForURL("**/projects/many?sort=title");
  await page.locator("#documents tbody tr").first().filter({ hasText: "sheet-01" }).waitFor();
  await page.getByRole("button", { name: "Show more" }).click();
  await page.locator("#documents-count", { hasText: "Showing 55 of 55 documents" }).waitFor();
  const last = page.locator("#documents tbody tr").last();
  assert.match(await last.textContent(), /sheet-55/);
  assert.equal(await page.getByRole("button", { name: "Show more" }).isHidden(), true);
  // The view is bookmarkable: the grid and the sort come back from the URL.
  await page.getByRole("button", { name: "Grid" }).click();
  await page.waitForURL("**/projects/many?sort=title&view=grid");
  await page.reload();
  await page.locator(".doc-grid li").first().filter({ hasText: "sheet-01" }).waitFor();
  assert.equal(await page.getByLabel("Sort by").inputValue(), "title");
  await assertAccessible(page, "documents grid");
  await shoot(page, "documents-grid");
  await context.close();
});

test("rename, tags, trash and restore from the document page", async () => {
  const doc = await uploadBytes("yard", "hull.pdf", readFileSync(fixture("blueprint.pdf")), "Hull");
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/yard/documents/${doc.id}`);
  await page.getByLabel("Title", { exact: true }).fill("Hull plating");
  await page.getByLabel("Tags", { exact: true }).fill("steel, structural");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("heading", { name: "Hull plating", level: 1 }).waitFor();
  const saved = await owner("GET", `/projects/yard/documents/${doc.id}`);
  assert.equal(saved.title, "Hull plating");
  assert.deepEqual(saved.tags, ["steel", "structural"]);
  await assertAccessible(page, "document page");
  await shoot(page, "document-edit");

  await page.getByRole("button", { name: "Move to trash" }).click();
  await page.getByRole("button", { name: "Move “Hull plating” to the trash" }).click();
  await page.locator("#trashed").waitFor();
  const listed = await owner("GET", "/projects/yard/documents");
  assert.ok(!listed.items.some((d) => d.id === doc.id), "gone from the list");
  await assertAccessible(page, "trashed document");
  await page.getByRole("button", { name: "Restore" }).click();
  // The trashed page carries the same heading: wait for it to go.
  await page.locator("#trashed").waitFor({ state: "detached" });
  await page.getByRole("heading", { name: "Hull plating", level: 1 }).waitFor();
  assert.equal((await owner("GET", `/projects/yard/documents/${doc.id}`)).title, "Hull plating");
  await context.close();
});

test("dropping deck-ga-v2.pdf offers a new revision of deck-ga", async () => {
  const deck = await uploadBytes("yard", "deck-ga.pdf", readFileSync(fixture("blueprint.pdf")), "deck-ga");
  const { context, page } = await signedIn(browser, server, "bob", external);
  await page.goto(`${server.url}/projects/yard`);
  const v2 = join(shots, "deck-ga-v2.pdf");
  copyFileSync(fixture("blueprint_v2.pdf"), v2);
  await page.locator("#file-picker").setInputFiles(v2);
  const item = page.locator('li[data-file="deck-ga-v2.pdf"]');
  await item.getByText("looks like a new version of").waitFor();
  await assertAccessible(page, "upload prompt");
  await shoot(page, "upload-prompt");
  await item.getByRole("button", { name: "New revision of deck-ga" }).click();
  await item.getByText("Uploaded as revision 2").waitFor();
  const after = await owner("GET", `/projects/yard/documents/${deck.id}`);
  assert.equal(after.revision, 2);
  const all = await owner("GET", "/projects/yard/documents?type=pdf");
  assert.equal(all.items.filter((d) => d.title.startsWith("deck-ga")).length, 1, "no duplicate document");

  // The same bytes under another name are offered too; declining makes a new document.
  const copy = join(shots, "copy-of-deck.pdf");
  copyFileSync(fixture("blueprint_v2.pdf"), copy);
  await page.locator("#file-picker").setInputFiles(copy);
  const second = page.locator('li[data-file="copy-of-deck.pdf"]');
  await second.getByText("has the same content").waitFor();
  await second.getByRole("button", { name: "Upload as a new document" }).click();
  await second.getByText("Uploaded ·").waitFor();
  await context.close();
});

test("admins add members, change their role and remove them", async () => {
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/yard`);
  await page.getByRole("link", { name: "Members" }).click();
  await page.waitForURL("**/projects/yard/members");
  await page.getByLabel("Add a member").fill("carol");
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Add" }).click();
  await page.locator('tr[data-member="carol"]').waitFor();
  await page.getByLabel("Role of carol").selectOption("editor");
  await page.locator(".toast", { hasText: "carol is now editor" }).waitFor();
  let members = (await owner("GET", "/projects/yard/members")).items;
  assert.equal(members.find((m) => m.user_id === "carol").role, "editor");
  await assertAccessible(page, "members tab");
  await shoot(page, "members");
  await page.getByRole("button", { name: "Remove carol" }).click();
  await page.locator('tr[data-member="carol"]').waitFor({ state: "detached" });
  members = (await owner("GET", "/projects/yard/members")).items;
  assert.ok(!members.some((m) => m.user_id === "carol"));
  await context.close();
});

test("two PNG revisions overlay with swipe and blend", async () => {
  const photo = await uploadBytes("yard", "photo.png", readFileSync(fixture("photo.png")), "Photo");
  const response = await fetch(`${server.url}/api/v1/projects/yard/documents/${photo.id}/content`, {
    method: "PUT", headers: { Authorization: `Bearer ${server.token("olga", true)}`, "If-Match": "\"1\"", "X-Filename": "photo.png" },
    body: readFileSync(fixture("photo_v2.png")),
  });
  assert.equal(response.status, 201);
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/yard/documents/${photo.id}`);
  assert.equal(await page.locator("#diff-from").inputValue(), "1");
  assert.equal(await page.locator("#diff-to").inputValue(), "2");
  await page.getByRole("button", { name: "Compare" }).click();
  await page.locator("#compare-stage .compare-pair").waitFor();
  await page.getByLabel("Swipe").check();
  const upper = page.locator(".compare-overlay .compare-upper");
  await upper.waitFor();
  assert.match(await upper.evaluate((img) => img.style.clipPath), /^inset\(0(px)? 50%/);
  await slide(page, 20);
  assert.match(await upper.evaluate((img) => img.style.clipPath), /^inset\(0(px)? 80%/);
  await page.getByLabel("Blend").check();
  await slide(page, 30);
  assert.equal(await page.locator(".compare-overlay .compare-upper").evaluate((img) => img.style.opacity), "0.3");
  await page.locator("#diff img").waitFor();
  await assertAccessible(page, "compare");
  await shoot(page, "compare-overlay");
  await context.close();
});

// Moves the compare slider as a person would: keyboard on the range input.
async function slide(page, value) {
  const range = page.locator("#compare-amount");
  await range.focus();
  await page.keyboard.press("Home");
  for (let i = 0; i < value; i += 1) await page.keyboard.press("ArrowRight");
  assert.equal(await range.inputValue(), String(value));
}

test("a single-revision document has no compare box; every page passes axe", async () => {
  const single = await uploadBytes("yard", "single.stl", readFileSync(fixture("part_ascii.stl")), "Single");
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/yard/documents/${single.id}`);
  await page.getByRole("heading", { name: "History" }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Compare revisions" }).count(), 0);
  await assertAccessible(page, "single-revision document");
  for (const path of ["/projects", "/projects/yard", "/projects/yard/members"]) {
    await page.goto(`${server.url}${path}`);
    await page.locator("main h1").waitFor();
    await page.waitForLoadState("networkidle");
    await assertAccessible(page, path);
  }
  await context.close();
  const anonymous = await browser.newContext();
  const login = await anonymous.newPage();
  await login.goto(`${server.url}/login`);
  await login.getByLabel("Access token").waitFor();
  await assertAccessible(login, "login");
  await anonymous.close();
});

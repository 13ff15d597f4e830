// Storage in Chromium: the trash (restore, purge with confirmation, the
// legal hold's refusal), retention, hold and quota settings, usage on the
// project page, and search while typing (prefix, total); axe on each view.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { apiClient, startServer, uploadAs } from "./server.mjs";
import { assertAccessible, fixture, launch, shoot, signedIn } from "./browser.mjs";

let server;
let browser;
let owner;
const external = [];

function upload(slug, name, title, bytes = readFileSync(fixture(name))) {
  return uploadAs(server, "olga", slug, name, bytes, title);
}

before(async () => {
  server = await startServer();
  browser = await launch();
  owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "dock", title: "Dry dock" });
  await owner("PUT", "/projects/dock/members/bob", { role: "editor" });
  await owner("PUT", "/projects/dock/members/adam", { role: "admin" });
  await owner("POST", "/projects", { slug: "quay", title: "Quay wall" });
  await owner("PUT", "/projects/quay/members/bob", { role: "viewer" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(external, [], "the UI made requests to other hosts");
});

test("the trash: restore, purge after a confirmation, and the legal hold's refusal", async () => {
  const gate = await upload("dock", "blueprint.pdf", "Gate drawing");
  const crane = await upload("dock", "photo.png", "Crane photo");
  await upload("dock", "part_ascii.stl", "Bracket");
  for (const doc of [gate, crane]) await owner("DELETE", `/projects/dock/documents/${doc.id}`);

  // An editor sees the trash and may restore, not purge.
  const editor = await signedIn(browser, server, "bob", external);
  await editor.page.goto(`${server.url}/projects/dock`);
  await editor.page.getByRole("link", { name: "Trash" }).click();
  await editor.page.locator(`#trash tr[data-id="${gate.id}"]`).waitFor();
  assert.equal(await editor.page.getByRole("button", { name: /^Purge/ }).count(), 0);
  assert.equal(await editor.page.getByRole("link", { name: "Settings" }).count(), 0, "settings are for admins");
  await assertAccessible(editor.page, "trash as editor");
  await editor.context.close();

  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/dock/trash`);
  const rows = page.locator("#trash tbody tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  // Most recently deleted first.
  assert.match(await rows.first().textContent(), /Crane photo/);
  await assertAccessible(page, "trash");
  await shoot(page, "trash");

  await page.getByRole("button", { name: "Restore Gate drawing" }).click();
  await page.locator(`#trash tr[data-id="${gate.id}"]`).waitFor({ state: "detached" });
  assert.equal((await owner("GET", `/projects/dock/documents/${gate.id}`)).title, "Gate drawing");

  // On legal hold, purge asks, is refused with the server's reason, and
  // the document stays in the trash.
  await owner("PUT", "/projects/dock/hold", { on: true, reason: "claim 117" });
  await page.getByRole("button", { name: "Purge now: Crane photo" }).click();
  const confirm = page.getByRole("button", { name: "Purge “Crane photo”" });
  assert.equal(await confirm.evaluate((button) => button === document.activeElement), true, "focus moves to the confirmation");
  await assertAccessible(page, "purge confirmation");
  await confirm.click();
  const refusal = page.locator("#trash-status.error");
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /^Not purged: .*legal hold \(claim 117\)/);
  assert.equal((await owner("GET", "/projects/dock/trash")).items.length, 1);
  await assertAccessible(page, "purge refused");
  await shoot(page, "trash-hold");

  // Cancel goes back; after the hold is lifted the purge goes through.
  await owner("PUT", "/projects/dock/hold", { on: false });
  await page.getByRole("button", { name: "Purge now: Crane photo" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await owner("GET", "/projects/dock/trash")).items.length, 1);
  await page.getByRole("button", { name: "Purge now: Crane photo" }).click();
  await page.getByRole("button", { name: "Purge “Crane photo”" }).click();
  await page.locator("#trash-empty").waitFor();
  assert.match(await page.locator("#trash-status").textContent(), /purged/);
  assert.deepEqual((await owner("GET", "/projects/dock/trash")).items, []);
  const gone = await fetch(`${server.url}/api/v1/projects/dock/documents/${crane.id}/revisions/1/content`, {
    headers: { Authorization: `Bearer ${server.token("olga", true)}` },
  });
  assert.equal(gone.status, 410, "purged content is gone, saying when and why");
  await context.close();
});

test("settings: retention for admins, hold and quota for owners; usage on the project page", async () => {
  // An admin sets the retention but sees the hold and quota read-only.
  const admin = await signedIn(browser, server, "adam", external);
  await admin.page.goto(`${server.url}/projects/dock/settings`);
  await admin.page.getByLabel("Keep the last revisions").fill("3");
  await admin.page.getByLabel("Keep revisions younger than (days)").fill("30");
  await admin.page.getByLabel("Empty the trash after (days)").fill("14");
  await admin.page.getByRole("button", { name: "Save retention" }).click();
  await admin.page.locator(".toast", { hasText: "Retention saved." }).waitFor();
  const saved = await owner("GET", "/projects/dock/retention");
  assert.deepEqual([saved.keep_revisions, saved.keep_days, saved.trash_days], [3, 30, 14]);
  assert.equal(await admin.page.getByLabel("Keep the last revisions").inputValue(), "3");
  await admin.page.getByText("Only owners put the project on legal hold").waitFor();
  assert.equal(await admin.page.getByRole("button", { name: "Put on legal hold" }).count(), 0);
  await assertAccessible(admin.page, "settings as admin");
  await admin.context.close();

  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await page.goto(`${server.url}/projects/dock`);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.waitForURL("**/projects/dock/settings");
  // Emptied fields mean "no rule".
  await page.getByLabel("Keep revisions younger than (days)").fill("");
  await page.getByRole("button", { name: "Save retention" }).click();
  await page.locator(".toast", { hasText: "Retention saved." }).waitFor();
  assert.equal((await owner("GET", "/projects/dock/retention")).keep_days, null);

  await page.getByLabel("Reason (optional)").fill("claim 117");
  await page.getByRole("button", { name: "Put on legal hold" }).click();
  await page.locator("#hold-state", { hasText: /^On legal hold/ }).waitFor();
  assert.match(await page.locator("#hold-state").textContent(), /claim 117/);
  let held = await owner("GET", "/projects/dock/retention");
  assert.deepEqual([held.hold, held.hold_reason], [true, "claim 117"]);

  await page.getByLabel("Quota (MB)").fill("50");
  await page.getByRole("button", { name: "Save quota" }).click();
  await page.locator("#settings-usage", { hasText: "of 50 MB used" }).waitFor();
  assert.equal((await owner("GET", "/projects/dock/usage")).quota_bytes, 50_000_000);
  await assertAccessible(page, "settings as owner");
  await shoot(page, "settings");

  await page.getByRole("button", { name: "Lift the legal hold" }).click();
  await page.locator("#hold-state", { hasText: "Not on legal hold" }).waitFor();
  held = await owner("GET", "/projects/dock/retention");
  assert.equal(held.hold, false);

  // The project page shows what the project weighs against its quota.
  const usage = await owner("GET", "/projects/dock/usage");
  await page.goto(`${server.url}/projects/dock`);
  const box = page.locator("#usage");
  await box.getByText("of 50 MB used").waitFor();
  const text = await box.textContent();
  assert.match(text, new RegExp(`${usage.documents} documents`));
  assert.match(text, /stored \(identical files kept once\)/);
  assert.equal(Number(await box.locator("meter").getAttribute("value")), usage.bytes_logical);
  await assertAccessible(page, "project page with usage");
  await shoot(page, "usage");
  // An upload from the page: the storage line follows the list.
  await page.locator("#file-picker").setInputFiles(fixture("photo_v2.png"));
  await page.locator('li[data-file="photo_v2.png"]').getByText("Uploaded").waitFor();
  await box.getByText(`${usage.documents + 1} documents`).waitFor();
  await context.close();
});

test("search while typing: part of a word finds it, with the total", async () => {
  const bridge = await upload("quay", "blueprint.pdf", "Bridge deck");
  const deck = await upload("quay", "part_ascii.stl", "Deck bracket");
  for (const doc of [bridge, deck]) {
    for (let i = 0; i < 100; i += 1) {
      if ((await owner("GET", `/projects/quay/documents/${doc.id}`)).index_status === "indexed") break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const { context, page } = await signedIn(browser, server, "bob", external);
  await page.goto(`${server.url}/projects/quay`);
  await page.getByLabel("Search inside files").focus();
  await page.keyboard.type("brid");
  const results = page.locator("#results");
  await results.getByRole("heading", { name: "1 result for “brid”" }).waitFor();
  await results.getByRole("link", { name: "Bridge deck" }).waitFor();
  assert.match(await results.locator("mark").first().textContent(), /^brid/i);
  assert.match(page.url(), /\?q=brid$/);
  await assertAccessible(page, "search results");
  await shoot(page, "search-prefix");
  // The words before the last are whole words; the last may be a start.
  await page.getByLabel("Search inside files").fill("bridge canti");
  await results.getByRole("heading", { name: "1 result for “bridge canti”" }).waitFor();
  await page.getByLabel("Search inside files").fill("brid canti");
  await results.getByText("Nothing matches.").waitFor();
  await page.getByLabel("Search inside files").fill("dec");
  await results.getByRole("heading", { name: "2 results for “dec”" }).waitFor();
  await context.close();
});

// Check-out locks and the release lifecycle through the UI: lock with a
// note, another user's change refused with the holder named, an admin
// breaks the lock, review, release A by someone other than the uploader,
// the freeze, revise, release B, and the state filter on the Blueprints tab.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { apiClient, startServer } from "./server.mjs";

const root = resolve(import.meta.dirname, "..");
const shots = join(root, "target/e2e");
const fixture = (name) => join(root, "fixtures/files", name);
const WIDE = { width: 1280, height: 900 };

let server;
let browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "works", title: "Harbour works" });
  await owner("PUT", "/projects/works/members/bob", { role: "editor" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(user) {
  const context = await browser.newContext({ viewport: WIDE });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Access token").fill(server.token(user, user === "olga"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/projects");
  return { context, page };
}

async function shoot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const chip = (page, state) => page.locator(`h1 .chip[data-state="${state}"]`);

test("lock, refuse, break, review, release A, revise, release B, filter by state", async () => {
  const { context: bobs, page: bob } = await signedIn("bob");
  await bob.goto(`${server.url}/projects/works`);
  await bob.locator("#file-picker").setInputFiles(fixture("blueprint.pdf"));
  await bob.locator('li[data-file="blueprint.pdf"]').getByText("Uploaded").waitFor();
  await bob.locator("#documents a", { hasText: "blueprint" }).click();
  await chip(bob, "wip").waitFor();
  const docUrl = bob.url();

  // Bob checks it out with a note.
  await bob.getByLabel("Note").fill("redrawing the north elevation");
  await bob.locator("#lock-ttl").selectOption("8h");
  await bob.getByRole("button", { name: "Lock (check out)" }).click();
  await bob.locator('h1 .locked[data-locked-by="bob"]').waitFor();
  assert.match(await bob.locator("#lock-text").textContent(), /Checked out by bob until .*redrawing the north elevation/);
  await shoot(bob, "lock-held");

  // Olga's change is refused with bob named; then she breaks the lock.
  const { context: olgas, page: olga } = await signedIn("olga");
  await olga.goto(docUrl);
  await olga.locator('h1 .locked[data-locked-by="bob"]').waitFor();
  await olga.getByRole("button", { name: "Submit for review" }).click();
  const refused = olga.locator("#workflow-status.error");
  await refused.waitFor();
  assert.match(await refused.textContent(), /^Locked: bob has checked this document out until /);
  await shoot(olga, "lock-refused");
  await olga.getByLabel("Reason").fill("bob is on site today");
  await olga.getByRole("button", { name: "Break lock" }).click();
  await olga.locator("h1 .locked").waitFor({ state: "detached" });
  // Bob's page follows live: the badge goes, with a toast naming olga.
  await bob.locator("h1 .locked").waitFor({ state: "detached" });
  await bob.locator(".toast", { hasText: "olga changed this document (unlocked)" }).waitFor();

  // Bob submits; as an editor he is offered no Release.
  await bob.getByLabel("Comment").fill("ready for checking");
  await bob.getByRole("button", { name: "Submit for review" }).click();
  await chip(bob, "in_review").waitFor();
  assert.equal(await bob.getByRole("button", { name: "Release" }).count(), 0);

  // Olga did not upload it: she releases it as A.
  await chip(olga, "in_review").waitFor();
  await olga.getByLabel("Comment").fill("checked against the survey");
  await olga.getByRole("button", { name: "Release", exact: true }).click();
  await chip(olga, "released").waitFor();
  assert.equal((await chip(olga, "released").textContent()).trim(), "Released A");
  await olga.locator('tr[data-revision="1"] [data-release="A"]').waitFor();
  await shoot(olga, "released-a");

  // Released means frozen: bob's new revision is refused, readably.
  await chip(bob, "released").waitFor();
  await bob.locator("#revision-file").setInputFiles(fixture("blueprint_v2.pdf"));
  await bob.getByRole("button", { name: "Upload new revision" }).click();
  await bob.getByText(/revise it first/).waitFor();
  await shoot(bob, "frozen-refusal");

  // Revise, a new revision, review, release B.
  await bob.getByRole("button", { name: "Revise" }).click();
  await chip(bob, "wip").waitFor();
  await bob.locator("#revision-file").setInputFiles(fixture("blueprint_v2.pdf"));
  await bob.getByRole("button", { name: "Upload new revision" }).click();
  await bob.locator('tr[data-revision="2"]').waitFor();
  await bob.getByRole("button", { name: "Submit for review" }).click();
  await chip(bob, "in_review").waitFor();
  await chip(olga, "in_review").waitFor();
  await olga.getByRole("button", { name: "Release", exact: true }).click();
  await chip(olga, "released").waitFor();
  assert.equal((await chip(olga, "released").textContent()).trim(), "Released B");
  await olga.locator('tr[data-revision="2"] [data-release="B"]').waitFor();
  await olga.locator('tr[data-revision="1"] [data-release="A"]').waitFor();
  await shoot(olga, "released-b");

  // The Blueprints tab filters by state.
  await olga.goto(`${server.url}/projects/works`);
  await olga.locator("#documents tr", { hasText: "blueprint" }).waitFor();
  await olga.locator("#filter-state").selectOption("in_review");
  await olga.getByText("No documents yet.").waitFor();
  await olga.locator("#filter-state").selectOption("released");
  const row = olga.locator("#documents tr", { hasText: "blueprint" });
  await row.waitFor();
  assert.equal((await row.locator('.chip[data-state="released"]').textContent()).trim(), "Released B");
  await shoot(olga, "state-filter");

  await bobs.close();
  await olgas.close();
});

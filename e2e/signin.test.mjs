// Sign-in through a real OpenID provider this project did not write: the
// `oidc-provider` package runs as a local IdP on a loopback port; Chromium
// signs in, lands on the projects page, opens a new tab still signed in,
// and signs out, which ends the session on the server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import Provider from "oidc-provider";
import { apiClient, startServer } from "./server.mjs";

const root = resolve(import.meta.dirname, "..");
const shots = join(root, "target/e2e");
const CLIENT_SECRET = "e2e-client-secret-e2e-client-secret";

let server;
let idp;
let browser;

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  server = await startServer({
    STOCKAGE_OIDC_ISSUER: issuer,
    STOCKAGE_OIDC_CLIENT_ID: "stockage",
    STOCKAGE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
    STOCKAGE_OIDC_SCOPES: "openid profile",
    STOCKAGE_OIDC_ADMIN_GROUP: "stockage-admins",
  });
  const provider = new Provider(issuer, {
    clients: [{
      client_id: "stockage",
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${server.url}/auth/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    }],
    claims: { openid: ["sub"], profile: ["name", "groups"] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, name: "Alice Example", groups: id === "alice" ? ["stockage-admins"] : [] }),
    }),
  });
  idp = provider.listen(port, "127.0.0.1");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "bridge", title: "Harbour bridge" });
  await owner("PUT", "/projects/bridge/members/alice", { role: "editor" });
});

after(async () => {
  await browser?.close();
  idp?.close();
  await server?.stop();
});

test("a person signs in at the identity provider, stays signed in across tabs, and signs out", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/projects`);
  await page.waitForURL("**/login**");
  await page.locator("#sign-in-oidc").click();

  // The provider's own pages: log in, then consent.
  await page.waitForURL((url) => url.port === String(idp.address().port));
  await page.locator("input[name=login]").fill("alice");
  await page.locator("input[name=password]").fill("any password");
  await page.locator("button[type=submit]").click();
  await page.locator("button[type=submit]").click();

  await page.waitForURL(`${server.url}/projects`);
  await page.getByRole("link", { name: "Harbour bridge" }).waitFor();
  await page.getByText("Signed in as Alice Example").waitFor();
  await page.screenshot({ path: join(shots, "signin-projects.png"), fullPage: true });

  // The session cookie: HttpOnly, SameSite=Lax; not Secure on loopback.
  const [cookie] = (await context.cookies(server.url)).filter((c) => c.name === "stockage_session");
  assert.ok(cookie, "a session cookie");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  const me = await (await fetch(`${server.url}/api/v1/me`, { headers: { Cookie: `stockage_session=${cookie.value}` } })).json();
  assert.deepEqual([me.user, me.via, me.admin], ["alice", "session", true]);

  // A new tab, and a reload, are still signed in.
  const second = await context.newPage();
  await second.goto(`${server.url}/projects`);
  await second.getByRole("link", { name: "Harbour bridge" }).waitFor();
  await second.reload();
  await second.getByText("Signed in as Alice Example").waitFor();
  assert.equal(new URL(second.url()).pathname, "/projects");

  // A change through the UI carries the CSRF token (the page creates a project as an admin).
  const created = await second.evaluate(async () => {
    const { api } = await import("/ui/api.js");
    return api("POST", "/projects", { slug: "ferry", title: "Ferry terminal" });
  });
  assert.equal(created.slug, "ferry");
  // Without the header, the same cookie is refused.
  const forged = await fetch(`${server.url}/api/v1/projects`, {
    method: "POST",
    headers: { Cookie: `stockage_session=${cookie.value}`, "Content-Type": "application/json" },
    body: JSON.stringify({ slug: "forged", title: "Forged" }),
  });
  assert.equal(forged.status, 403);

  // Signing out ends the session on the server, not only in this browser.
  await second.locator("#sign-out").click();
  await second.waitForURL("**/login**");
  const after = await fetch(`${server.url}/api/v1/me`, { headers: { Cookie: `stockage_session=${cookie.value}` } });
  assert.equal(after.status, 401);
  await page.reload();
  await page.waitForURL("**/login**");
  await context.close();
});

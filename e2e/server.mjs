// Starts `stockage serve` on a fresh database and a temporary data
// directory, and issues tokens with the same binary.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

const root = resolve(import.meta.dirname, "..");
const binary = process.env.STOCKAGE_BIN || join(root, "target/debug/stockage");
const secret = "e2e-secret-e2e-secret-e2e-secret";

export async function startServer(extraEnv = {}) {
  const base = (process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres").replace(/\/[^/]*$/, "");
  const database = `stockage_e2e_${process.pid}_${Date.now()}`;
  const dataDir = mkdtempSync(join(tmpdir(), "stockage-e2e-"));
  const env = {
    ...process.env,
    DATABASE_URL: `${base}/${database}`,
    STOCKAGE_BIND: "127.0.0.1:0",
    STOCKAGE_DATA_DIR: dataDir,
    STOCKAGE_JWT_SECRET: secret,
    RUST_LOG: "warn",
    ...extraEnv,
  };
  const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const lines = createInterface({ input: child.stderr });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 30 s")), 30000);
    child.on("exit", (code) => reject(new Error(`the server exited with ${code}`)));
    lines.on("line", (line) => {
      const match = line.match(/^Stockage is serving on (http:\/\/[^/]+)\//);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      } else if (process.env.E2E_LOG) {
        console.error(line);
      }
    });
  });
  const token = (user, admin = false) =>
    execFileSync(binary, ["token", "--user", user, ...(admin ? ["--admin"] : []), "--ttl", "1h"], { env }).toString().trim();
  return {
    url,
    token,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => (child.exitCode !== null ? done() : child.on("exit", done)));
      rmSync(dataDir, { recursive: true, force: true });
      try {
        execFileSync("psql", [`${base}/postgres`, "-qc", `DROP DATABASE IF EXISTS "${database}"`], { stdio: "ignore" });
      } catch {
        // Left for the next run's cleanup; not the UI's concern.
      }
    },
  };
}

// A small API client for setting the scene.
export function apiClient(url, token) {
  return async (method, path, body) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
}

// Uploads `bytes` as `name` (optional `title`) to project `slug` as
// `user` through the API; fails unless 201; the new document.
export async function uploadAs(server, user, slug, name, bytes, title) {
  const form = new FormData();
  form.append("file", new Blob([bytes]), name);
  if (title) form.append("title", title);
  const response = await fetch(`${server.url}/api/v1/projects/${slug}/documents`, {
    method: "POST", headers: { Authorization: `Bearer ${server.token(user, true)}` }, body: form,
  });
  if (response.status !== 201) throw new Error(`upload of ${name}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Large files travel over tus (tus-js-client 4.3.1, vendored under
// /ui/vendor, loaded the first time it is needed): 5 MiB pieces that
// survive a dropped connection, a pause (a Pause/Resume button on the
// file's row) or a page reload. The browser remembers each unfinished
// upload by user, project, target and file, so choosing the same file
// again continues where it stopped; the documents tab lists them.
import { Problem, api, token } from "../api.js";
import { bytes, h } from "../dom.js";
import { register } from "../registry.js";

const THRESHOLD = 8 * 1024 * 1024;
const CHUNK = 5 * 1024 * 1024;
const LIBRARY = "/ui/vendor/tus-js-client/tus.min.js";
let loading = null;

function library() {
  loading ??= new Promise((resolve, reject) => {
    if (window.tus) return resolve(window.tus);
    const script = Object.assign(document.createElement("script"), { src: LIBRARY });
    script.onload = () => resolve(window.tus);
    script.onerror = () => {
      loading = null;
      reject(new Problem(0, { detail: "the upload library could not be loaded" }));
    };
    document.head.append(script);
  });
  return loading;
}

const prefix = (slug) => `stockage/${token.claims()?.sub ?? ""}/${slug}/`;

register("uploads", {
  id: "tus",
  accepts: (file) => file.size > THRESHOLD,
  send,
});

register("project.sections", { id: "unfinished-uploads", order: 90, render: unfinishedSection });

// Resolves with the document (new) or the revision (target.documentId),
// as the plain requests do; rejects with a Problem.
async function send(file, target) {
  const tus = await library();
  const { slug, documentId, ifMatch, title, tags, onProgress, attach } = target;
  const metadata = { project: slug, filename: file.name };
  if (title) metadata.title = title;
  if (tags) metadata.tags = tags;
  if (documentId) metadata.document = documentId;
  if (ifMatch !== undefined) metadata.if_match = String(ifMatch);
  const project = `/projects/${encodeURIComponent(slug)}`;
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: "/api/v1/uploads",
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata,
      fingerprint: async () => `${prefix(slug)}${documentId ?? "new"}/${file.name}/${file.size}/${file.lastModified}`,
      removeFingerprintOnSuccess: true,
      onBeforeRequest(request) {
        request.setHeader("Authorization", `Bearer ${token.get()}`);
      },
      onProgress,
      async onSuccess({ lastResponse }) {
        try {
          let id = lastResponse?.getHeader("Stockage-Document");
          let revision = lastResponse?.getHeader("Stockage-Revision");
          if (!id) {
            // It had finished before (e.g. before a reload): the upload names its document.
            const status = await api("GET", new URL(upload.url, location.href).pathname.replace(/^\/api\/v1/, ""));
            ({ document_id: id, revision } = status);
          }
          const path = `${project}/documents/${encodeURIComponent(id)}`;
          resolve(await api("GET", documentId ? `${path}/revisions/${revision}` : path));
        } catch (problem) {
          reject(problem);
        }
      },
      onError(error) {
        const response = error.originalResponse;
        let body = { detail: error.message };
        try {
          body = JSON.parse(response.getBody());
        } catch {
          // Not a problem+json answer (e.g. the network went): keep the client's words.
        }
        reject(new Problem(response?.getStatus() ?? 0, body));
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
      attach?.(pauseButton(upload));
    }, reject);
  });
}

function pauseButton(upload) {
  let paused = false;
  const button = h("button", { type: "button", class: "secondary", "data-action": "pause" }, "Pause");
  button.addEventListener("click", () => {
    paused = !paused;
    if (paused) upload.abort();
    else upload.start();
    button.textContent = paused ? "Resume" : "Pause";
  });
  return button;
}

// The unfinished uploads this browser remembers for the project; the
// library loads only when there are any at all.
async function unfinishedSection({ slug }) {
  if (!Object.keys(localStorage).some((key) => key.startsWith(`tus::${prefix(slug)}`))) return null;
  const tus = await library();
  const entries = (await tus.defaultOptions.urlStorage.findAllUploads())
    .filter((entry) => entry.urlStorageKey.startsWith(`tus::${prefix(slug)}`));
  if (!entries.length) return null;
  return h("section", { "aria-labelledby": "unfinished-heading", id: "unfinished-uploads" },
    h("h2", { id: "unfinished-heading" }, "Interrupted uploads"),
    h("ul", { class: "uploads" }, ...entries.map((entry) => h("li", { "data-file": entry.metadata?.filename ?? "" },
      h("strong", {}, entry.metadata?.filename ?? "?"), ` (${bytes(entry.size)}) `,
      h("span", { class: "muted" }, "choose the same file again to continue where it stopped.")))));
}

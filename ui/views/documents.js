import { api, blob, follow } from "../api.js";
import { bytes, h, mount, snippet, toast, when } from "../dom.js";
import { parts, renderAll, renderEach } from "../registry.js";
import { uploader } from "./upload.js";
import { STATES } from "../parts/workflow.js";

const TYPES = ["pdf", "png", "jpg", "gltf", "glb", "stl"];
const WRITERS = ["editor", "admin", "owner"];

// The Documents tab: search and filters, the upload zone, the list; kept
// current over the WebSocket.
export async function documentsTab(main, ctx) {
  const { slug, project, me } = ctx;
  const policy = await api("GET", "/policy");
  const canUpload = WRITERS.includes(project.my_role);
  const base = `/projects/${encodeURIComponent(slug)}`;

  const type = h("select", { id: "filter-type" }, h("option", { value: "" }, "All types"), TYPES.map((t) => h("option", { value: t }, t.toUpperCase())));
  const tag = h("input", { id: "filter-tag", placeholder: "e.g. structural" });
  const state = h("select", { id: "filter-state" }, h("option", { value: "" }, "Any state"),
    Object.entries(STATES).map(([value, label]) => h("option", { value }, label)));
  const q = h("input", { id: "search", type: "search", placeholder: "words, \"exact phrase\", -exclude" });
  const table = h("div", { id: "documents", "aria-live": "polite" });
  const results = h("div", { id: "results" });
  const filters = h("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); refresh(); } },
    h("div", { class: "field" }, h("label", { for: "search" }, "Search inside files"), q),
    h("div", { class: "field" }, h("label", { for: "filter-type" }, "Type"), type),
    h("div", { class: "field" }, h("label", { for: "filter-tag" }, "Tag"), tag),
    h("div", { class: "field" }, h("label", { for: "filter-state" }, "State"), state),
    h("button", { type: "submit" }, "Apply"));
  type.addEventListener("change", refresh);
  state.addEventListener("change", refresh);

  const uploads = canUpload
    ? uploader(slug, policy, () => refresh())
    : h("p", { class: "notice", id: "viewer-notice" }, `You are a ${project.my_role} in this project: you can read and download, but uploading needs the editor role or above.`);
  // A file dropped anyway gets the reason instead of the browser opening it.
  const page = document.getElementById("main");
  const hover = (e) => e.preventDefault();
  const refuse = (e) => {
    e.preventDefault();
    toast(`Not uploaded: as a ${project.my_role} you cannot upload to ${project.title}.`);
  };
  if (!canUpload) {
    page.addEventListener("dragover", hover);
    page.addEventListener("drop", refuse);
  }

  mount(main, filters, results, await renderAll("project.sections", ctx), uploads, h("h2", {}, "Documents"), table);
  await refresh();

  let pending = null;
  const stop = follow(slug, null, (event) => {
    if (!event.event.startsWith("document.")) return;
    if (event.actor !== me) toast(describe(event));
    clearTimeout(pending);
    pending = setTimeout(refresh, 250);
  }, () => refresh());
  return () => {
    stop();
    page.removeEventListener("dragover", hover);
    page.removeEventListener("drop", refuse);
  };

  async function refresh() {
    const params = new URLSearchParams();
    if (type.value) params.set("type", type.value);
    if (tag.value.trim()) params.set("tag", tag.value.trim());
    if (state.value) params.set("state", state.value);
    const words = q.value.trim();
    const [list] = await Promise.all([
      api("GET", `${base}/documents?${params}`),
      words ? search(words, params) : Promise.resolve(mount(results)),
    ]);
    mount(table, list.items.length ? documentTable(slug, list.items) : h("p", { class: "muted" }, "No documents yet."));
  }

  async function search(words, params) {
    params.set("q", words);
    try {
      const found = await api("GET", `${base}/search?${params}`);
      mount(results, h("h2", {}, `Search results for “${words}”`),
        found.items.length
          ? h("ul", { class: "search-results" }, found.items.map((item) =>
              h("li", {}, h("a", { href: `${base}/documents/${item.document_id}` }, item.title), " ", h("span", { class: "muted" }, `revision ${item.revision}`), h("div", {}, snippet(item.snippet || "")))))
          : h("p", { class: "muted" }, "Nothing matches."));
    } catch (problem) {
      mount(results, h("p", { class: "error", role: "alert" }, `Search failed: ${problem.message}`));
    }
  }
}

// The toast for a live event: a part's words first, then the built-in ones.
export function describe(event) {
  for (const part of parts("events")) {
    const text = part.describe(event);
    if (text) return text;
  }
  const who = event.actor;
  const name = event.data?.title || event.data?.filename || "a document";
  switch (event.event) {
    case "document.added": return `${who} uploaded ${name}`;
    case "document.updated": return event.revision ? `${who} changed a document (revision ${event.revision})` : `${who} edited ${name}`;
    case "document.removed": return `${who} removed a document`;
    case "document.restored": return `${who} restored a document`;
    case "document.acl_changed": return `${who} changed a document's permissions`;
    default: return `${who}: ${event.event}`;
  }
}

function documentTable(slug, items) {
  return h("table", {},
    h("caption", { class: "visually-hidden" }, "Documents in this project"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Preview")),
      h("th", { scope: "col" }, "Title"),
      h("th", { scope: "col" }, "Rev."),
      h("th", { scope: "col", class: "hide-narrow" }, "Size"),
      h("th", { scope: "col", class: "hide-narrow" }, "Updated"),
      h("th", { scope: "col", class: "hide-narrow" }, "Tags"))),
    h("tbody", {}, items.map((doc) => h("tr", { "data-id": doc.id },
      h("td", {}, thumbnail(slug, doc)),
      h("td", {}, h("a", { href: `/projects/${encodeURIComponent(slug)}/documents/${doc.id}` }, doc.title), renderEach("document.badges", doc), h("div", { class: "muted" }, doc.filename)),
      h("td", {}, String(doc.revision)),
      h("td", { class: "hide-narrow" }, bytes(doc.size)),
      h("td", { class: "hide-narrow" }, `${doc.updated_by}, ${when(doc.updated_at)}`),
      h("td", { class: "hide-narrow" }, doc.tags.map((t) => h("span", { class: "tag" }, t)))))));
}

// Object URLs of previews already fetched, by path: a revision's preview
// never changes, so a list refreshed by a live event reuses them.
const previews = new Map();

function previewUrl(path) {
  if (!previews.has(path)) {
    previews.set(path, blob(path).then(({ blob: image, response }) =>
      response.headers.get("content-type")?.startsWith("image/") ? URL.createObjectURL(image) : null));
    previews.get(path).catch(() => previews.delete(path));
  }
  return previews.get(path);
}

// The server's preview when it has one; the type's badge otherwise.
export function thumbnail(slug, doc, size = 128, cls = "thumb") {
  const badge = h("span", { class: "type", "aria-label": `${doc.type.toUpperCase()} file` }, doc.type.toUpperCase());
  const path = `/projects/${encodeURIComponent(slug)}/documents/${doc.id}/revisions/${doc.revision}/preview?size=${size}`;
  previewUrl(path).then((src) => {
    if (src) badge.replaceWith(h("img", { class: cls, alt: `Preview of ${doc.title}`, src }));
  }, () => {});
  return badge;
}

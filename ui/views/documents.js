import { api, blob, follow } from "../api.js";
import { bytes, h, mount, snippet, toast, when } from "../dom.js";
import { parts, renderAll, renderEach } from "../registry.js";
import { uploader } from "./upload.js";
import { STATES } from "../parts/workflow.js";

const TYPES = ["pdf", "png", "jpg", "gltf", "glb", "stl"];
const WRITERS = ["editor", "admin", "owner"];
const PAGE = 50;
const SORTS = [
  ["-created", "Newest first"], ["created", "Oldest first"], ["-updated", "Recently changed"],
  ["title", "Title A–Z"], ["-title", "Title Z–A"], ["-size", "Largest first"], ["size", "Smallest first"], ["type", "Type"],
];

// The Documents tab: search, filters, sort and view (all in the URL, so a
// view can be bookmarked), the upload zone, the list in pages with the
// total; kept current over the WebSocket.
export async function documentsTab(main, ctx) {
  const { slug, project, me } = ctx;
  const policy = await api("GET", "/policy");
  const canUpload = WRITERS.includes(project.my_role);
  const base = `/projects/${encodeURIComponent(slug)}`;
  const url = new URLSearchParams(location.search);

  const type = h("select", { id: "filter-type" }, h("option", { value: "" }, "All types"), TYPES.map((t) => h("option", { value: t, selected: url.get("type") === t }, t.toUpperCase())));
  const tag = h("input", { id: "filter-tag", placeholder: "e.g. structural", value: url.get("tag") || "" });
  const state = h("select", { id: "filter-state" }, h("option", { value: "" }, "Any state"),
    Object.entries(STATES).map(([value, label]) => h("option", { value, selected: url.get("state") === value }, label)));
  const q = h("input", { id: "search", type: "search", placeholder: "words, \"exact phrase\", -exclude", value: url.get("q") || "" });
  const sort = h("select", { id: "sort" }, SORTS.map(([value, label]) => h("option", { value, selected: (url.get("sort") || "-created") === value }, label)));
  let view = url.get("view") === "grid" ? "grid" : "list";
  const listButton = h("button", { type: "button", class: "secondary", "aria-pressed": String(view === "list"), onclick: () => setView("list") }, "List");
  const gridButton = h("button", { type: "button", class: "secondary", "aria-pressed": String(view === "grid"), onclick: () => setView("grid") }, "Grid");
  const table = h("div", { id: "documents" });
  const count = h("p", { id: "documents-count", class: "muted", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", id: "more", hidden: true, onclick: () => loadMore() }, "Show more");
  const results = h("div", { id: "results" });
  const filters = h("form", { class: "row", role: "search", onsubmit: (e) => { e.preventDefault(); refresh(); } },
    h("div", { class: "field" }, h("label", { for: "search" }, "Search inside files"), q),
    h("div", { class: "field" }, h("label", { for: "filter-type" }, "Type"), type),
    h("div", { class: "field" }, h("label", { for: "filter-tag" }, "Tag"), tag),
    h("div", { class: "field" }, h("label", { for: "filter-state" }, "State"), state),
    h("div", { class: "field" }, h("label", { for: "sort" }, "Sort by"), sort),
    h("button", { type: "submit" }, "Apply"),
    h("div", { class: "segmented", role: "group", "aria-label": "Show as" }, listButton, gridButton));
  type.addEventListener("change", () => refresh());
  state.addEventListener("change", () => refresh());
  sort.addEventListener("change", () => refresh());
  let typing = null;
  q.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { remember(); searchNow(); }, 300);
  });

  // A file dropped anyway gets the reason instead of the browser opening it.
  const page = document.getElementById("main");
  const hover = (e) => e.preventDefault();
  const refuse = (e) => {
    e.preventDefault();
    toast(`Not uploaded: as a ${project.my_role} you cannot upload to ${project.title}.`);
  };
  const uploads = canUpload
    ? uploader(slug, policy, () => refresh())
    : h("p", { class: "notice", id: "viewer-notice" }, `You are a ${project.my_role} in this project: you can read and download, but uploading needs the editor role or above.`);
  if (!canUpload) {
    page.addEventListener("dragover", hover);
    page.addEventListener("drop", refuse);
  }

  mount(main, filters, results, await renderAll("project.sections", ctx), uploads, h("h2", {}, "Documents"), count, table, more);
  let items = [];
  let next = null;
  let total = 0;
  await refresh();

  let pending = null;
  const stop = follow(slug, null, (event) => {
    if (!event.event.startsWith("document.")) return;
    if (event.actor !== me) toast(describe(event));
    clearTimeout(pending);
    pending = setTimeout(() => refresh(Math.max(items.length, PAGE)), 250);
  }, () => refresh());
  return () => {
    stop();
    page.removeEventListener("dragover", hover);
    page.removeEventListener("drop", refuse);
  };

  function params() {
    const p = new URLSearchParams();
    if (type.value) p.set("type", type.value);
    if (tag.value.trim()) p.set("tag", tag.value.trim());
    if (state.value) p.set("state", state.value);
    if (sort.value !== "-created") p.set("sort", sort.value);
    return p;
  }

  // The query, filters, sort and view in the address, without a new entry.
  function remember() {
    const p = params();
    if (q.value.trim()) p.set("q", q.value.trim());
    if (view === "grid") p.set("view", "grid");
    const query = p.toString();
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}`);
  }

  function setView(next) {
    view = next;
    listButton.setAttribute("aria-pressed", String(view === "list"));
    gridButton.setAttribute("aria-pressed", String(view === "grid"));
    remember();
    draw();
  }

  async function refresh(size = PAGE) {
    remember();
    const p = params();
    p.set("limit", String(Math.min(size, 200)));
    const [list] = await Promise.all([api("GET", `${base}/documents?${p}`), searchNow()]);
    items = list.items;
    next = list.next_cursor;
    total = list.total;
    draw();
    // Sections that follow the documents (the storage used) redraw too.
    window.dispatchEvent(new CustomEvent("stockage:documents-changed", { detail: { slug } }));
  }

  async function loadMore() {
    if (!next) return;
    const p = params();
    p.set("limit", String(PAGE));
    p.set("cursor", next);
    more.disabled = true;
    const list = await api("GET", `${base}/documents?${p}`);
    more.disabled = false;
    items = items.concat(list.items);
    next = list.next_cursor;
    total = list.total;
    draw();
  }

  function draw() {
    count.textContent = total ? `Showing ${items.length} of ${total} document${total === 1 ? "" : "s"}` : "";
    mount(table, items.length
      ? (view === "grid" ? documentGrid(slug, items) : documentTable(slug, items))
      : h("p", { class: "muted" }, "No documents yet."));
    more.hidden = !next;
  }

  async function searchNow() {
    const words = q.value.trim();
    if (!words) return mount(results);
    const p = params();
    p.delete("sort");
    p.set("q", words);
    // While typing, the last word matches the words it begins (brid: bridge).
    p.set("prefix", "true");
    try {
      const found = await api("GET", `${base}/search?${p}`);
      if (q.value.trim() !== words) return null;
      // Counting stops at 1,000: then the total is a lower bound.
      const n = found.total ?? found.items.length;
      const more = found.total_is_lower_bound ? "+" : "";
      const heading = `${n.toLocaleString("en")}${more} result${n === 1 && !more ? "" : "s"} for “${words}”`;
      return mount(results, h("h2", {}, heading),
        found.items.length
          ? h("ul", { class: "search-results" }, found.items.map((item) => {
              const doc = { id: item.document_id, revision: item.revision, type: item.type, title: item.title };
              return h("li", {}, thumbnail(slug, doc),
                h("div", {}, h("a", { href: `${base}/documents/${item.document_id}` }, item.title), " ",
                  h("span", { class: "muted" }, `${(item.type || "").toUpperCase()} · ${item.project} · revision ${item.revision}`),
                  h("div", {}, snippet(item.snippet || ""))));
            }))
          : h("p", { class: "muted" }, "Nothing matches."));
    } catch (problem) {
      return mount(results, h("p", { class: "error", role: "alert" }, `Search failed: ${problem.message}`));
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
    case "document.removed": return `${who} moved a document to the trash`;
    case "document.restored": return `${who} restored a document`;
    case "document.acl_changed": return `${who} changed a document's permissions`;
    default: return `${who}: ${event.event}`;
  }
}

function link(slug, doc) {
  return h("a", { href: `/projects/${encodeURIComponent(slug)}/documents/${doc.id}` }, doc.title);
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
      h("td", {}, link(slug, doc), renderEach("document.badges", doc), h("div", { class: "muted" }, doc.filename)),
      h("td", {}, String(doc.revision)),
      h("td", { class: "hide-narrow" }, bytes(doc.size)),
      h("td", { class: "hide-narrow" }, `${doc.updated_by}, ${when(doc.updated_at)}`),
      h("td", { class: "hide-narrow" }, doc.tags.map((t) => h("span", { class: "tag" }, t)))))));
}

function documentGrid(slug, items) {
  return h("ul", { class: "doc-grid", "aria-label": "Documents in this project" }, items.map((doc) =>
    h("li", { class: "card", "data-id": doc.id },
      thumbnail(slug, doc, 256, "grid-thumb"),
      h("div", {}, link(slug, doc), renderEach("document.badges", doc)),
      h("div", { class: "muted" }, `${doc.type.toUpperCase()} · ${bytes(doc.size)} · rev. ${doc.revision}`),
      h("div", {}, doc.tags.map((t) => h("span", { class: "tag" }, t))))));
}

// Object URLs of previews already fetched, by path: a revision's preview
// never changes, so a list refreshed by a live event reuses them.
const previews = new Map();

function previewUrl(path, attempt = 0) {
  if (!previews.has(path)) {
    const fetched = blob(path).then(({ blob: image, response }) =>
      response.headers.get("content-type")?.startsWith("image/") ? URL.createObjectURL(image) : null)
      .catch(async (error) => {
        previews.delete(path);
        // A busy server (503 with Retry-After) or a dropped connection:
        // try again a few times before leaving the type's badge.
        if (attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return previewUrl(path, attempt + 1);
      });
    previews.set(path, fetched);
  }
  return previews.get(path);
}

// The server's preview when it has one; the type's badge otherwise.
export function thumbnail(slug, doc, size = 128, cls = "thumb") {
  const label = (doc.type || "file").toUpperCase();
  const badge = h("span", { class: `type ${cls === "grid-thumb" ? "grid-thumb" : ""}`, role: "img", "aria-label": `${label} file` }, label);
  const path = `/projects/${encodeURIComponent(slug)}/documents/${doc.id}/revisions/${doc.revision}/preview?size=${size}`;
  previewUrl(path).then((src) => {
    if (src) badge.replaceWith(h("img", { class: cls, alt: `Preview of ${doc.title}`, src }));
  }, () => {});
  return badge;
}

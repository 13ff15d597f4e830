import { api, download, follow, token } from "../api.js";
import { bytes, h, mount, toast, when } from "../dom.js";
import { RANK, parts, renderAll, renderEach } from "../registry.js";
import { thumbnail } from "./documents.js";
import { sendFile } from "./upload.js";

// A document: preview, details and actions, then the sections parts add
// (history, permissions, ...); redrawn when a live event touches it.
export async function documentPage(main, slug, id) {
  const base = `/projects/${encodeURIComponent(slug)}/documents/${encodeURIComponent(id)}`;
  const me = token.claims()?.sub;
  let stop = () => {};
  let viewer = null;
  let form = null;
  await render();
  stop = follow(slug, null, (event) => {
    if (event.document_id !== id) return;
    // Share links' own events only refresh the counts; they change nothing here.
    if (event.actor !== me && !event.event.startsWith("share.")) toast(`${event.actor} changed this document (${event.event.replace("document.", "")})`);
    render().catch(() => {});
  }, () => render().catch(() => {}));
  return () => {
    stop();
    viewer?.node?.dispose?.();
  };

  // The new-revision form survives redraws at the same revision, so a file
  // chosen while a live event redraws the page stays chosen.
  function revisionForm(ctx) {
    if (form?.revision !== ctx.doc.revision) form = { revision: ctx.doc.revision, node: newRevision(ctx) };
    return form.node;
  }

  // The viewer of the latest revision, kept while the revision stays.
  async function show(ctx) {
    const { doc } = ctx;
    if (viewer?.revision === doc.revision) return viewer.node;
    try {
      viewer?.node?.dispose?.();
    } catch (error) {
      console.error("closing the viewer failed", error);
    }
    let node = null;
    const part = parts("document.viewers").find((p) => p.accepts(doc));
    try {
      node = part ? await part.render(ctx) : null;
    } catch (error) {
      console.error(`viewer ${part.id} failed`, error);
      node = h("div", {}, h("p", { class: "notice" }, `This ${doc.type.toUpperCase()} file cannot be shown here (${error.message}); its preview:`), thumbnail(slug, doc, 512, "preview"));
    }
    node ??= thumbnail(slug, doc, 512, "preview");
    viewer = { revision: doc.revision, node };
    return node;
  }

  async function render() {
    const [doc, mine] = await Promise.all([api("GET", base), api("GET", `${base}/permissions`)]);
    document.title = `${doc.title} · Stockage`;
    const level = RANK[mine.permission] ?? 0;
    const ctx = { slug, base, doc, level, me, refresh: render };
    const preview = await show(ctx);
    const extra = (await renderAll("document.details", ctx)).flat();
    const meta = h("dl", { class: "meta" },
      item("File", doc.filename), item("Type", doc.type.toUpperCase()), item("Size", bytes(doc.size)),
      item("Revision", String(doc.revision)), item("Added by", `${doc.added_by}, ${when(doc.created_at)}`),
      item("Last change", `${doc.updated_by}, ${when(doc.updated_at)}`),
      item("Tags", doc.tags.length ? doc.tags.join(", ") : "none"),
      item("SHA-256", h("code", {}, doc.sha256)),
      doc.index_status ? item("Indexing", doc.index_status + (doc.index_reason ? ` (${doc.index_reason})` : "")) : null,
      doc.keywords?.length ? item("Keywords", doc.keywords.map((k) => h("span", { class: "tag" }, k))) : null,
      extra.map(([label, value]) => item(label, value)),
      item("Your access", `${mine.permission} — ${mine.because}`));
    const actions = h("div", { class: "row", id: "document-actions" },
      h("button", { type: "button", onclick: () => download(`${base}/content`, doc.filename) }, "Download"),
      await renderAll("document.actions", ctx),
      level >= RANK.write ? revisionForm(ctx) : null);
    mount(main,
      h("p", {}, h("a", { href: "/projects" }, "Projects"), " / ", h("a", { href: `/projects/${encodeURIComponent(slug)}` }, slug), " / ", doc.title),
      h("h1", {}, doc.title, renderEach("document.badges", doc)),
      h("section", { class: "document-view", "aria-label": "Viewer" }, preview),
      h("section", { class: "doc", "aria-label": "Details" }, meta, actions),
      await renderAll("document.sections", ctx));
  }
}

function item(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

// Uploads new content with If-Match, so a change made meanwhile is reported
// instead of overwritten.
function newRevision({ slug, doc, refresh }) {
  const input = h("input", { type: "file", id: "revision-file" });
  const bar = h("progress", { max: 100, value: 0, hidden: true, "aria-label": "Upload progress" });
  const status = h("p", { "aria-live": "polite" });
  const button = h("button", { type: "submit" }, "Upload new revision");
  return h("form", { class: "field", onsubmit: async (event) => {
      event.preventDefault();
      const file = input.files[0];
      if (!file) {
        status.className = "error";
        status.textContent = "Choose a file first.";
        return;
      }
      button.disabled = true;
      bar.hidden = false;
      try {
        const created = await sendFile(file, {
          slug, documentId: doc.id, ifMatch: doc.revision,
          onProgress: (sent, total) => { bar.max = total || file.size; bar.value = sent; },
        });
        status.className = "ok";
        status.textContent = `Revision ${created.revision} uploaded.`;
        await refresh();
      } catch (problem) {
        status.className = "error";
        status.setAttribute("role", "alert");
        status.textContent = problem.status === 412
          ? `Not uploaded: someone else changed this document meanwhile (now at revision ${problem.body.current_revision}). Reload to see their change, then try again.`
          : `Not uploaded: ${problem.message}`;
        button.disabled = false;
      }
    } },
    h("label", { for: "revision-file" }, "New revision"), input, bar, button, status);
}

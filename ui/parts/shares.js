import { api } from "../api.js";
import { h, mount, when } from "../dom.js";
import { RANK, register } from "../registry.js";

register("document.sections", { id: "shares", order: 80, render: (ctx) => (ctx.level >= RANK.write ? sharesSection(ctx) : null) });

const EXPIRY = [["1d", "1 day"], ["7d", "7 days"], ["30d", "30 days"], ["90d", "90 days"]];

// The document's share links (all of them for its admins, one's own
// otherwise) with their download counts, a revoke button, and the dialog
// that makes a new one.
async function sharesSection(ctx) {
  const { base, level, me, refresh } = ctx;
  const { items } = await api("GET", `${base}/shares`);
  const status = h("p", { "aria-live": "polite" });
  const revoke = async (share) => {
    try {
      await api("DELETE", `${base}/shares/${share.id}`);
      await refresh();
    } catch (problem) {
      status.className = "error";
      status.textContent = problem.message;
    }
  };
  const rows = items.map((s) => h("tr", { "data-share": s.id },
    h("td", {}, s.created_by, h("div", { class: "muted" }, when(s.created_at))),
    h("td", {}, s.revision === null ? "latest" : `revision ${s.revision}`),
    h("td", { class: "hide-narrow" }, when(s.expires_at)),
    h("td", { class: "downloads" }, s.max_downloads === null ? String(s.downloads) : `${s.downloads} of ${s.max_downloads}`),
    h("td", { class: "hide-narrow" }, s.password_required ? "yes" : "no"),
    h("td", {}, s.status),
    h("td", {}, s.status === "active" && (s.created_by === me || level >= RANK.admin)
      ? h("button", { type: "button", class: "secondary", "aria-label": `Revoke the link made by ${s.created_by} ${when(s.created_at)}`, onclick: () => revoke(s) }, "Revoke")
      : null)));
  const table = items.length
    ? h("table", { id: "shares" }, h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Made by"), h("th", { scope: "col" }, "Serves"),
        h("th", { scope: "col", class: "hide-narrow" }, "Expires"), h("th", { scope: "col" }, "Downloads"),
        h("th", { scope: "col", class: "hide-narrow" }, "Password"), h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, rows))
    : h("p", { class: "muted" }, "No links yet.");
  return h("section", { "aria-labelledby": "shares-heading" },
    h("h2", { id: "shares-heading" }, "Share links"),
    h("p", { class: "muted" }, "A link lets someone outside the project download this document. Every download is recorded."),
    table,
    h("p", {}, h("button", { type: "button", id: "share-open", onclick: () => shareDialog(ctx) }, "Share…")),
    status);
}

// A modal dialog kept outside the page, so the live redraw that follows
// the new link does not take away the one view of its URL.
function shareDialog({ base, doc, refresh }) {
  const revision = h("select", { id: "share-revision" },
    h("option", { value: "latest" }, "The latest revision, whatever it is when opened"),
    Array.from({ length: doc.revision }, (_, i) => doc.revision - i)
      .map((n) => h("option", { value: String(n) }, `Revision ${n} only`)));
  const expires = h("select", { id: "share-expires" }, EXPIRY.map(([value, label]) => h("option", { value, selected: value === "7d" }, label)));
  const password = h("input", { id: "share-password", type: "password", autocomplete: "new-password" });
  const limit = h("input", { id: "share-limit", type: "number", min: 1, step: 1, inputmode: "numeric" });
  const status = h("p", { role: "alert" });
  const dialog = h("dialog", { class: "card", "aria-labelledby": "share-title" });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const body = { revision: revision.value === "latest" ? null : Number(revision.value), expires_in: expires.value };
      if (password.value) body.password = password.value;
      if (limit.value) body.max_downloads = Number(limit.value);
      try {
        const share = await api("POST", `${base}/shares`, body);
        shown(dialog, share, close);
        refresh().catch(() => {});
      } catch (problem) {
        status.className = "error";
        status.textContent = problem.message;
      }
    } },
    h("h2", { id: "share-title" }, `Share “${doc.title}”`),
    h("div", { class: "field" }, h("label", { for: "share-revision" }, "Serves"), revision),
    h("div", { class: "field" }, h("label", { for: "share-expires" }, "Expires after"), expires),
    h("div", { class: "field" }, h("label", { for: "share-password" }, "Password (optional)"), password),
    h("div", { class: "field" }, h("label", { for: "share-limit" }, "Download limit (optional)"), limit),
    status,
    h("p", { class: "row" }, h("button", { type: "submit" }, "Create link"), h("button", { type: "button", class: "secondary", onclick: close }, "Cancel")));
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  mount(dialog, form);
  document.body.append(dialog);
  dialog.showModal();
  revision.focus();
}

function shown(dialog, share, close) {
  const url = new URL(share.url, location.origin).href;
  const field = h("input", { id: "share-url", type: "text", readonly: true, value: url });
  const copied = h("p", { "aria-live": "polite" });
  mount(dialog,
    h("h2", { id: "share-title" }, "Link created"),
    h("p", {}, "Copy it now: it is shown only once. Anyone with it can open the document until it expires",
      share.password_required ? " (and knows the password)." : "."),
    h("div", { class: "field" }, h("label", { for: "share-url" }, "Link"), field),
    copied,
    h("p", { class: "row" },
      h("button", { type: "button", onclick: async () => {
          field.select();
          try {
            await navigator.clipboard.writeText(url);
            copied.textContent = "Copied.";
          } catch {
            copied.textContent = "Select the link and copy it.";
          }
        } }, "Copy"),
      h("button", { type: "button", class: "secondary", id: "share-done", onclick: close }, "Done")));
  field.focus();
  field.select();
}

import { api, blob, download } from "../api.js";
import { bytes, h, mount, when } from "../dom.js";
import { RANK, register } from "../registry.js";
import { compareView } from "../viewers/compare.js";

register("document.sections", { id: "history", order: 20, render: historySection });

// The revisions (download, restore, label each), and the comparison of
// two of them once there are two.
async function historySection({ base, doc, level, refresh: changed }) {
  const canWrite = level >= RANK.write;
  const items = await allRevisions(base);
  const rows = items.slice().reverse().map((r) => h("tr", { "data-revision": r.revision },
    h("td", {}, String(r.revision)),
    h("td", {}, `${r.added_by}`, h("div", { class: "muted" }, when(r.created_at))),
    h("td", { class: "hide-narrow" }, bytes(r.size)),
    h("td", {}, r.release ? h("span", { class: "chip state-released release-letter", "data-release": r.release }, `Release ${r.release}`) : null,
      canWrite ? labelEditor(base, r, changed) : (r.label ? ` ${r.label}` : ""),
      r.restored_from ? h("div", { class: "muted" }, `restored from ${r.restored_from}`) : null),
    h("td", {},
      h("button", { type: "button", class: "secondary", onclick: () => download(`${base}/revisions/${r.revision}/content`, doc.filename), "aria-label": `Download revision ${r.revision}` }, "Download"),
      canWrite && r.revision !== doc.revision
        ? h("button", { type: "button", class: "secondary", "aria-label": `Restore revision ${r.revision}`, onclick: async () => {
            await api("POST", `${base}/revisions/${r.revision}/restore`);
            await changed();
          } }, "Restore")
        : null)));
  const table = h("table", {}, h("thead", {}, h("tr", {},
    h("th", { scope: "col" }, "Rev."), h("th", { scope: "col" }, "Who, when"), h("th", { scope: "col", class: "hide-narrow" }, "Size"),
    h("th", { scope: "col" }, "Label"), h("th", { scope: "col" }, "Actions"))), h("tbody", {}, rows));
  const section = [h("h2", { id: "history-heading" }, "History"), table];
  if (items.length > 1) section.push(compareBox(base, doc, items));
  return h("section", { "aria-labelledby": "history-heading" }, section);
}

// Every page of the history (1,000 revisions a page).
async function allRevisions(base) {
  const items = [];
  let cursor = null;
  do {
    const page = await api("GET", `${base}/revisions${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function labelEditor(base, revision, changed) {
  const input = h("input", { value: revision.label || "", "aria-label": `Label of revision ${revision.revision}`, placeholder: "e.g. Issued for construction", class: "label-input" });
  return h("form", { class: "inline", onsubmit: async (e) => {
      e.preventDefault();
      await api("PATCH", `${base}/revisions/${revision.revision}`, { label: input.value.trim() || null });
      await changed();
    } }, input, h("button", { type: "submit", class: "secondary", "aria-label": `Save the label of revision ${revision.revision}` }, "Save"));
}

// The two latest revisions are compared by default.
function compareBox(base, doc, items) {
  const options = (selected) => items.map((r) => h("option", { value: r.revision, selected: r.revision === selected }, `Revision ${r.revision}${r.label ? ` (${r.label})` : ""}`));
  const latest = items[items.length - 1].revision;
  const from = h("select", { id: "diff-from" }, options(items[items.length - 2].revision));
  const to = h("select", { id: "diff-to" }, options(latest));
  const output = h("div", { id: "diff", "aria-live": "polite" });
  const visual = h("div", { id: "compare" });
  return h("div", {},
    h("h2", {}, "Compare revisions"),
    h("form", { class: "row", onsubmit: async (e) => {
        e.preventDefault();
        mount(visual);
        await showDiff(base, from.value, to.value, output);
        try {
          const view = await compareView(base, doc, from.value, to.value);
          if (view) mount(visual, view);
        } catch (error) {
          mount(visual, h("p", { class: "error" }, `The revisions cannot be shown side by side: ${error.message}`));
        }
      } },
      h("div", { class: "field" }, h("label", { for: "diff-from" }, "From"), from),
      h("div", { class: "field" }, h("label", { for: "diff-to" }, "To"), to),
      h("button", { type: "submit" }, "Compare")),
    visual, output);
}

async function showDiff(base, from, to, output) {
  try {
    const diff = await api("GET", `${base}/diff?from=${from}&to=${to}`);
    const parts = [h("p", {}, h("strong", {}, diff.summary))];
    if (diff.changes?.length) {
      parts.push(h("table", { class: "changes" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Before"), h("th", { scope: "col" }, "After"))),
        h("tbody", {}, diff.changes.map((c) => h("tr", {}, h("td", {}, c.field), h("td", {}, show(c.before)), h("td", {}, show(c.after)))))));
    }
    if (diff.unified !== undefined) parts.push(unified(diff.unified));
    if (diff.pixels) {
      parts.push(h("p", {}, `${diff.pixels.changed_pixels} of ${diff.pixels.total_pixels} pixels changed`));
      const { blob: png } = await blob(`${base}/diff?from=${from}&to=${to}&format=png`);
      parts.push(h("img", { class: "preview", alt: `Changed pixels between revisions ${from} and ${to}, highlighted`, src: URL.createObjectURL(png) }));
    }
    for (const limit of diff.limits || []) parts.push(h("p", { class: "muted" }, limit));
    mount(output, parts);
  } catch (problem) {
    mount(output, h("p", { class: "error", role: "alert" }, problem.message));
  }
}

function show(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function unified(text) {
  return h("pre", { class: "diff", "aria-label": "Unified diff", tabindex: 0 }, text.split("\n").map((line) => {
    const cls = line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
    return h("span", { class: cls }, line || " ");
  }));
}

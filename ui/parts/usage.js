// Usage against the quota, above the documents of every project: logical
// bytes (every kept revision, what the quota counts) and stored bytes (each
// distinct file once).
import { api } from "../api.js";
import { bytes, h } from "../dom.js";
import { register } from "../registry.js";

export async function usageBox(slug, id = "usage") {
  const usage = await api("GET", `/projects/${encodeURIComponent(slug)}/usage`);
  const quota = usage.quota_bytes;
  const used = usage.bytes_logical;
  const share = quota ? Math.min(100, Math.round((used / quota) * 100)) : null;
  const counts = `${usage.documents} document${usage.documents === 1 ? "" : "s"}`
    + (usage.documents_in_trash ? ` (${usage.documents_in_trash} in the trash)` : "")
    + ` · ${usage.revisions} revision${usage.revisions === 1 ? "" : "s"} kept`;
  const headline = quota
    ? `${bytes(used)} of ${bytes(quota)} used (${share === 0 && used > 0 ? "under 1" : share}%)`
    : `${bytes(used)} used · no quota`;
  return h("section", { class: "usage card", id, "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading` }, "Storage"),
    h("p", { class: "usage-line" }, h("strong", {}, headline),
      quota ? h("meter", { min: 0, max: quota, value: Math.min(used, quota), low: quota * 0.8, high: quota * 0.95, optimum: 0, "aria-label": "Share of the quota used" }) : null),
    h("p", { class: "muted" }, `${bytes(usage.bytes_stored)} stored (identical files kept once) · ${counts}`));
}

// On the documents tab the box follows the list: each time the list is
// fetched again (an upload, a live event) the usage is too.
register("project.sections", {
  id: "usage", order: 10,
  render: async ({ slug }) => {
    let box = await usageBox(slug);
    const changed = async (event) => {
      if (!box.isConnected) return window.removeEventListener("stockage:documents-changed", changed);
      if (event.detail?.slug !== slug) return null;
      const fresh = await usageBox(slug).catch(() => null);
      if (fresh && box.isConnected) {
        box.replaceWith(fresh);
        box = fresh;
      }
      return null;
    };
    window.addEventListener("stockage:documents-changed", changed);
    return box;
  },
});

// Rename, tags and the trash for writers; a document moved to the trash
// can be restored from the same page.
import { api } from "../api.js";
import { h, mount, navigate, toast } from "../dom.js";
import { RANK, register } from "../registry.js";

register("document.sections", {
  id: "edit", order: 10,
  render: ({ base, doc, level, refresh }) => {
    if (level < RANK.write) return null;
    const title = h("input", { id: "edit-title", value: doc.title, required: true, maxlength: 200 });
    const tags = h("input", { id: "edit-tags", value: doc.tags.join(", "), placeholder: "comma separated, e.g. structural, deck" });
    const status = h("p", { "aria-live": "polite" });
    return h("section", { "aria-labelledby": "edit-heading" },
      h("h2", { id: "edit-heading" }, "Title and tags"),
      h("form", { class: "row", onsubmit: async (e) => {
          e.preventDefault();
          try {
            const list = tags.value.split(",").map((t) => t.trim()).filter(Boolean);
            await api("PATCH", base, { title: title.value.trim(), tags: list });
            toast("Saved.");
            await refresh();
          } catch (problem) {
            status.className = "error";
            status.textContent = `Not saved: ${problem.message}`;
          }
        } },
        h("div", { class: "field" }, h("label", { for: "edit-title" }, "Title"), title),
        h("div", { class: "field grow" }, h("label", { for: "edit-tags" }, "Tags"), tags),
        h("button", { type: "submit" }, "Save")),
      status);
  },
});

register("document.actions", {
  id: "trash", order: 90,
  render: ({ slug, base, doc, level }) => {
    if (level < RANK.write) return null;
    const box = h("span", { class: "row" });
    const ask = () => mount(box,
      h("button", { type: "button", class: "danger", onclick: remove }, `Move “${doc.title}” to the trash`),
      h("button", { type: "button", class: "secondary", onclick: idle }, "Cancel"));
    const idle = () => mount(box, h("button", { type: "button", class: "secondary", onclick: () => { ask(); box.querySelector("button").focus(); } }, "Move to trash"));
    async function remove() {
      try {
        await api("DELETE", base);
        trashed(slug, base, doc);
      } catch (problem) {
        toast(`Not moved to the trash: ${problem.message}`);
      }
    }
    idle();
    return box;
  },
});

// The page of a document just moved to the trash: what happened, and the
// way back.
function trashed(slug, base, doc) {
  const main = document.getElementById("main");
  const project = `/projects/${encodeURIComponent(slug)}`;
  const restore = h("button", { type: "button", onclick: async () => {
      try {
        await api("POST", `${base}/restore-deleted`);
        toast(`“${doc.title}” restored.`);
        navigate(`${project}/documents/${doc.id}`);
      } catch (problem) {
        toast(`Not restored: ${problem.message}`);
      }
    } }, "Restore");
  mount(main,
    h("p", {}, h("a", { href: "/projects" }, "Projects"), " / ", h("a", { href: project }, slug), " / ", doc.title),
    h("h1", {}, doc.title),
    h("p", { class: "notice", role: "status", id: "trashed" }, `“${doc.title}” is in the trash. It is kept until the project's retention removes it.`),
    h("div", { class: "row" }, restore, h("a", { href: project }, "Back to the documents")));
  restore.focus();
}

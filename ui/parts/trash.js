// The Trash tab: the project's deleted documents, for editors and above.
// Anyone who may delete may restore; admins and owners may also purge a
// document at once, after a confirmation, unless the project is on legal
// hold (the server answers 409 and its words are shown).
import { api } from "../api.js";
import { bytes, h, mount, toast, when } from "../dom.js";
import { register } from "../registry.js";

const WRITERS = ["editor", "admin", "owner"];
const MANAGERS = ["admin", "owner"];

register("project.tabs", {
  id: "trash", label: "Trash", order: 40,
  visible: ({ project }) => WRITERS.includes(project.my_role),
  render: async (main, { slug, project }) => {
    const base = `/projects/${encodeURIComponent(slug)}`;
    const manage = MANAGERS.includes(project.my_role);
    const list = h("div", { id: "trash" });
    const status = h("p", { id: "trash-status", "aria-live": "polite" });
    const say = (text, error = false) => {
      status.className = error ? "error" : "";
      status.setAttribute("role", error ? "alert" : "status");
      status.textContent = text;
    };

    const restore = async (item) => {
      try {
        await api("POST", `${base}/documents/${item.id}/restore-deleted`);
        toast(`“${item.title}” restored.`);
        say(`“${item.title}” is back among the documents.`);
        await draw();
      } catch (problem) {
        say(`Not restored: ${problem.message}`, true);
      }
    };

    const purge = async (item) => {
      try {
        await api("DELETE", `${base}/documents/${item.id}?purge=true`);
        toast(`“${item.title}” purged.`);
        say(`“${item.title}” was purged: its bytes are gone, its history stays.`);
        await draw();
      } catch (problem) {
        // A legal hold answers 409 with the reason, shown as it is.
        say(`Not purged: ${problem.message}`, true);
        await draw();
      }
    };

    // Purge asks first, in place: the row's buttons become a confirmation.
    const purgeButton = (item, cell) => {
      const idle = () => mount(cell, restoreButton(item), h("button", {
        type: "button", class: "secondary", "aria-label": `Purge now: ${item.title}`,
        onclick: () => { ask(); cell.querySelector("button.danger").focus(); },
      }, "Purge now"));
      const ask = () => mount(cell,
        h("span", { class: "muted" }, `Purge “${item.title}” for good? Its ${item.revision} revision${item.revision === 1 ? "" : "s"} (${bytes(item.bytes)}) cannot be brought back.`),
        h("button", { type: "button", class: "danger", onclick: () => purge(item) }, `Purge “${item.title}”`),
        h("button", { type: "button", class: "secondary", onclick: () => { idle(); cell.querySelector("button").focus(); } }, "Cancel"));
      idle();
      return cell;
    };
    const restoreButton = (item) => h("button", { type: "button", "aria-label": `Restore ${item.title}`, onclick: () => restore(item) }, "Restore");

    async function draw() {
      const { items } = await api("GET", `${base}/trash`);
      if (!items.length) return mount(list, h("p", { class: "muted", id: "trash-empty" }, "The trash is empty."));
      return mount(list, h("table", {},
        h("caption", { class: "visually-hidden" }, "Deleted documents in this project"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Document"),
          h("th", { scope: "col", class: "hide-narrow" }, "Size"),
          h("th", { scope: "col" }, "Deleted"),
          h("th", { scope: "col", class: "hide-narrow" }, "Purged automatically"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, items.map((item) => h("tr", { "data-id": item.id },
          h("td", {}, item.title, h("div", { class: "muted" }, `${item.filename} · ${item.type.toUpperCase()} · rev. ${item.revision}`)),
          h("td", { class: "hide-narrow" }, bytes(item.bytes)),
          h("td", {}, `${when(item.deleted_at)} by ${item.deleted_by}`),
          h("td", { class: "hide-narrow" }, item.purge_after ? when(item.purge_after) : "Never (no trash rule)"),
          h("td", {}, manage ? purgeButton(item, h("div", { class: "row actions" })) : restoreButton(item)))))));
    }

    await draw();
    const explain = manage
      ? "Restore brings a document back with its history. Purge now removes its bytes for good; its history stays. A project on legal hold purges nothing."
      : "Restore brings a document back with its history. Admins and owners can purge.";
    mount(main, h("h2", {}, "Trash"), h("p", { class: "muted" }, explain), status, list);
  },
});

import { api, token } from "../api.js";
import { h, mount } from "../dom.js";

export async function projectsPage(main) {
  document.title = "Projects · Stockage";
  const { items } = await api("GET", "/projects");
  const list = items.length
    ? h("ul", { class: "grid", role: "list" }, items.map((p) =>
        h("li", { class: "card" },
          h("h2", {}, h("a", { href: `/projects/${encodeURIComponent(p.slug)}` }, p.title)),
          h("p", { class: "muted" }, `${p.slug} · your role: ${p.my_role}`),
          p.description ? h("p", {}, p.description) : null)))
    : h("p", { class: "muted" }, "You are not a member of any project yet.");
  mount(main, h("h1", {}, "Your projects"), list, token.claims()?.admin ? createForm() : null);
}

function createForm() {
  const slug = h("input", { id: "new-slug", required: true, pattern: "[a-z0-9][a-z0-9-]*", maxlength: 64 });
  const title = h("input", { id: "new-title", required: true, maxlength: 200 });
  const error = h("p", { class: "error", role: "alert" });
  return h("form", { class: "card", onsubmit: async (event) => {
      event.preventDefault();
      try {
        const project = await api("POST", "/projects", { slug: slug.value, title: title.value });
        location.assign(`/projects/${encodeURIComponent(project.slug)}`);
      } catch (e) {
        error.textContent = e.message;
      }
    } },
    h("h2", {}, "New project"),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "new-slug" }, "Short name (slug)"), slug),
      h("div", { class: "field" }, h("label", { for: "new-title" }, "Title"), title),
      h("button", { type: "submit" }, "Create")),
    error);
}

import { api, token } from "../api.js";
import { h, mount } from "../dom.js";
import { parts } from "../registry.js";
import { documentsTab } from "./documents.js";

// A project: its title, the tabs (Documents built in, the others from the
// "project.tabs" place), and the chosen tab's content.
export async function projectPage(main, slug, tab) {
  const project = await api("GET", `/projects/${encodeURIComponent(slug)}`);
  document.title = `${project.title} · Stockage`;
  const ctx = { slug, project, me: token.claims()?.sub };
  const base = `/projects/${encodeURIComponent(slug)}`;
  const tabs = [{ id: "", label: "Documents", render: documentsTab }, ...parts("project.tabs").filter((t) => !t.visible || t.visible(ctx))];
  const current = tabs.find((t) => t.id === tab);
  if (!current) {
    const error = new Error("no such tab");
    error.status = 404;
    throw error;
  }
  const body = h("div", { id: "tab" });
  mount(main,
    h("p", {}, h("a", { href: "/projects" }, "Projects"), " / ", project.slug),
    h("h1", {}, project.title),
    h("nav", { class: "tabs", "aria-label": "Project" }, tabs.map((t) =>
      h("a", { href: t.id ? `${base}/${t.id}` : base, "aria-current": t === current ? "page" : false }, t.label))),
    body);
  return current.render(body, ctx);
}

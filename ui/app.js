import "./parts.js";
import { session, token } from "./api.js";
import { h, mount, navigate } from "./dom.js";
import { parts, renderEach } from "./registry.js";
import { loginPage } from "./views/login.js";
import { projectsPage } from "./views/projects.js";
import { projectPage } from "./views/project.js";
import { documentPage } from "./views/document.js";

let leave = null;

function account() {
  const claims = token.claims() || session.user;
  const nav = document.getElementById("account");
  if (!claims) return mount(nav, h("a", { href: "/login" }, "Sign in"));
  const signOut = h("button", {
    class: "link", type: "button", id: "sign-out",
    onclick: async () => {
      if (session.user) await session.signOut();
      token.clear();
      location.assign("/login");
    },
  }, "Sign out");
  mount(nav, h("a", { href: "/projects" }, "Projects"), renderEach("account", { claims }), h("span", {}, `Signed in as ${claims.name || claims.sub}`), signOut);
}

// The built-in pages, tried after the pages parts register under "routes".
const PAGES = [
  { match: (p) => (p.length === 1 && p[0] === "projects" ? {} : null), render: (main) => projectsPage(main) },
  { match: (p) => (p.length === 2 && p[0] === "projects" ? { slug: p[1] } : null), render: (main, { slug }) => projectPage(main, slug, "") },
  { match: (p) => (p.length === 3 && p[0] === "projects" ? { slug: p[1], tab: p[2] } : null), render: (main, { slug, tab }) => projectPage(main, slug, tab) },
  { match: (p) => (p.length === 4 && p[0] === "projects" && p[2] === "documents" ? { slug: p[1], id: p[3] } : null), render: (main, { slug, id }) => documentPage(main, slug, id) },
];

async function route() {
  leave?.();
  leave = null;
  const main = document.getElementById("main");
  const path = location.pathname.replace(/\/+$/, "") || "/";
  account();
  if (path === "/login") return loginPage(main);
  const pieces = path.split("/").filter(Boolean).map(decodeURIComponent);
  const own = parts("routes").map((page) => ({ page, params: page.match(path, pieces) })).find((x) => x.params);
  if (!token.get() && !session.user && !own?.page.public) return location.assign(`/login?next=${encodeURIComponent(path + location.search)}`);
  try {
    const found = own || PAGES.map((page) => ({ page, params: page.match(pieces) })).find((x) => x.params);
    if (found) leave = (await found.page.render(main, found.params)) || null;
    else mount(main, h("h1", {}, "Not found"), h("p", {}, "There is no page here."), h("a", { href: "/projects" }, "Your projects"));
  } catch (error) {
    const text = error.status === 404 ? "Not found, or you do not have access to it." : error.message;
    mount(main, h("h1", {}, error.status === 404 ? "Not found" : "Something went wrong"), h("p", { class: "error" }, text), h("a", { href: "/projects" }, "Your projects"));
  }
}

// Same-origin links navigate without reloading the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/']");
  if (!link || link.target || event.ctrlKey || event.metaKey || event.shiftKey || link.hasAttribute("download")) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", route);
window.addEventListener("stockage:navigate", route);
window.addEventListener("DOMContentLoaded", async () => {
  await session.load();
  route();
});

import { token } from "./api.js";
import { h, mount } from "./dom.js";
import { loginPage } from "./views/login.js";
import { projectsPage } from "./views/projects.js";
import { projectPage } from "./views/project.js";
import { documentPage } from "./views/document.js";

let leave = null;

function account() {
  const claims = token.claims();
  const nav = document.getElementById("account");
  if (!claims) return mount(nav, h("a", { href: "/login" }, "Sign in"));
  const signOut = h("button", { class: "link", type: "button", onclick: () => { token.clear(); location.assign("/login"); } }, "Sign out");
  mount(nav, h("a", { href: "/projects" }, "Projects"), h("span", {}, `Signed in as ${claims.name || claims.sub}`), signOut);
}

async function route() {
  leave?.();
  leave = null;
  const main = document.getElementById("main");
  const path = location.pathname.replace(/\/+$/, "") || "/";
  account();
  if (path === "/login") return loginPage(main);
  if (!token.get()) return location.assign(`/login?next=${encodeURIComponent(path)}`);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts.length === 1 && parts[0] === "projects") leave = await projectsPage(main);
    else if (parts.length === 2 && parts[0] === "projects") leave = await projectPage(main, parts[1]);
    else if (parts.length === 4 && parts[0] === "projects" && parts[2] === "documents") leave = await documentPage(main, parts[1], parts[3]);
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
  history.pushState(null, "", link.getAttribute("href"));
  route();
});
window.addEventListener("popstate", route);
window.addEventListener("DOMContentLoaded", route);

import { token } from "../api.js";
import { h, mount } from "../dom.js";
import { renderEach } from "../registry.js";

export function loginPage(main) {
  document.title = "Sign in · Stockage";
  const input = h("textarea", { id: "token", rows: 4, required: true, autocomplete: "off", spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "card", onsubmit: submit },
    h("div", { class: "field" }, h("label", { for: "token" }, "Access token"), input),
    h("p", { class: "muted" }, "Your platform normally signs you in. For development, get a token with ", h("code", {}, "stockage token --user alice --admin"), "."),
    error,
    h("button", { type: "submit" }, "Sign in"));
  const next = new URLSearchParams(location.search).get("next");
  mount(main, h("h1", {}, "Sign in"), renderEach("login", { next }), form);
  input.focus();
  // With a configured identity provider, that is the way in; the token
  // paste stays as a development fallback.
  fetch("/auth/config").then((r) => (r.ok ? r.json() : {})).then((config) => {
    if (!config.oidc) return;
    const back = next && next.startsWith("/") && !next.startsWith("//") ? next : "/projects";
    const provider = h("p", { class: "card" },
      h("a", { class: "button", id: "sign-in-oidc", target: "_self", href: `/auth/login?return_to=${encodeURIComponent(back)}` }, "Sign in with your organisation"));
    const fallback = h("details", {}, h("summary", {}, "Development: paste a token"), form);
    mount(main, h("h1", {}, "Sign in"), renderEach("login", { next }), provider, fallback);
  }).catch(() => {});

  function submit(event) {
    event.preventDefault();
    const value = input.value.trim();
    const parts = value.split(".");
    if (parts.length !== 3) {
      error.textContent = "That is not a token: a token has three parts separated by dots.";
      return;
    }
    token.set(value);
    if (!token.claims()?.sub) {
      token.clear();
      error.textContent = "That token cannot be read.";
      return;
    }
    const next = new URLSearchParams(location.search).get("next");
    location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/projects");
  }
}

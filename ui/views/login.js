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

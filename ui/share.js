// The public page of a share link: what the file is, a password box when
// the link has one, and a download button. No token of a member is used.
import { h, mount, bytes, when } from "./dom.js";

const token = location.pathname.split("/")[2] || "";
const base = `/s/${encodeURIComponent(token)}`;
const main = document.getElementById("main");

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail || body.title;
  } catch {
    return `error ${response.status}`;
  }
}

async function info(password) {
  const headers = { Accept: "application/json" };
  if (password) headers["X-Share-Password"] = password;
  const response = await fetch(base, { headers, cache: "no-store" });
  if (!response.ok) throw Object.assign(new Error(await problem(response)), { status: response.status });
  return response.json();
}

function unavailable(message) {
  mount(main, h("section", { class: "card" },
    h("h1", {}, "This link is not available"),
    h("p", { class: "muted" }, message)));
}

// With a password the bytes need a header, so the page fetches them and
// hands the browser a file; without one a plain link lets it stream.
async function downloadWith(password, share, button, status) {
  button.disabled = true;
  status.textContent = "Downloading…";
  try {
    const response = await fetch(`${base}/content`, { headers: { "X-Share-Password": password } });
    if (!response.ok) throw new Error(await problem(response));
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: share.filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = "Downloaded.";
  } catch (error) {
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

function details(share, password) {
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const action = password
    ? h("button", { type: "button", id: "share-download" }, "Download")
    : h("a", { class: "button", id: "share-download", href: `${base}/content`, download: share.filename }, "Download");
  if (password) action.addEventListener("click", () => downloadWith(password, share, action, status));
  mount(main, h("section", { class: "card" },
    h("h1", {}, share.title),
    h("dl", { class: "facts" },
      h("dt", {}, "File"), h("dd", {}, share.filename),
      h("dt", {}, "Size"), h("dd", {}, bytes(share.size)),
      h("dt", {}, "Revision"), h("dd", {}, String(share.revision)),
      h("dt", {}, "Link expires"), h("dd", {}, when(share.expires_at))),
    action, status));
}

function passwordBox(first) {
  const input = h("input", { id: "share-password", type: "password", autocomplete: "off", required: true });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "card" },
    h("h1", {}, "This link is protected"),
    h("p", { class: "muted" }, `It expires ${when(first.expires_at)}.`),
    h("div", { class: "field" }, h("label", { for: "share-password" }, "Password"), input),
    h("p", {}, h("button", { type: "submit" }, "Open")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      details(await info(input.value), input.value);
    } catch (error) {
      status.textContent = error.message;
      input.focus();
    }
  });
  mount(main, form);
  input.focus();
}

try {
  const share = await info();
  if (share.password_required && share.title === null) passwordBox(share);
  else details(share, null);
} catch (error) {
  unavailable(error.message);
}

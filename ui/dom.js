// Building DOM without innerHTML: every text goes in as text.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Goes to another page of the UI without reloading (app.js routes it).
export function navigate(href) {
  history.pushState(null, "", href);
  window.dispatchEvent(new Event("stockage:navigate"));
}

export function mount(parent, ...children) {
  parent.replaceChildren(...children.flat().filter(Boolean));
  return parent;
}

export function toast(text) {
  const box = document.getElementById("toasts");
  const item = h("div", { class: "toast" }, text);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

export function bytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB"];
  let value = n;
  let unit = "B";
  for (const u of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = u;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}

export function when(iso) {
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// A snippet from the search API: escaped HTML whose only tags are <mark>
// around matches. Only those marks become elements; the rest is decoded
// back to plain text and inserted as text.
const ENTITIES = { "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&#x27;": "'", "&amp;": "&" };

function decode(text) {
  return text.replace(/&(lt|gt|quot|amp|#39|#x27);/g, (entity) => ENTITIES[entity]);
}

export function snippet(html) {
  const parts = String(html).split(/<mark>|<\/mark>/);
  return h("span", { class: "snippet" }, parts.map((part, i) => (i % 2 ? h("mark", {}, decode(part)) : decode(part))));
}

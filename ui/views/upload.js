import { api, send } from "../api.js";
import { bytes, h } from "../dom.js";
import { parts } from "../registry.js";

// Sends a file as a new document (target {slug, title?, tags?}) or a new
// revision (target {slug, documentId, ifMatch?}) through the first part in
// "uploads" that accepts it, else one multipart POST / raw PUT request.
export function sendFile(file, target) {
  const transport = parts("uploads").find((part) => part.accepts(file, target));
  if (transport) return transport.send(file, target);
  const project = `/projects/${encodeURIComponent(target.slug)}`;
  if (target.documentId) {
    const headers = { "X-Filename": file.name, "Content-Type": "application/octet-stream" };
    if (target.ifMatch !== undefined) headers["If-Match"] = `"${target.ifMatch}"`;
    return send("PUT", `${project}/documents/${encodeURIComponent(target.documentId)}/content`, file, { headers, onProgress: target.onProgress });
  }
  const form = new FormData();
  form.append("file", file, file.name);
  if (target.title) form.append("title", target.title);
  if (target.tags) form.append("tags", target.tags);
  return send("POST", `${project}/documents`, form, { onProgress: target.onProgress });
}

// A drop zone and file picker; each chosen file uploads with its own
// progress bar. Files the policy refuses are named with the rule, unsent.
export function uploader(slug, policy, onUploaded) {
  const list = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const picker = h("input", { type: "file", id: "file-picker", multiple: true, accept: policy.extensions.join(","), class: "visually-hidden" });
  picker.addEventListener("change", () => {
    start([...picker.files]);
    picker.value = "";
  });
  const zone = h("div", { class: "drop", id: "drop-zone" },
    h("p", {}, "Drop blueprints, images or 3D models here, or "),
    h("label", { for: "file-picker", class: "button", tabindex: 0, onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); picker.click(); } } }, "Choose files"),
    picker,
    h("p", { class: "muted" }, `Allowed: ${policy.allowed}; up to ${bytes(policy.max_upload_bytes)} each.`));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    start([...e.dataTransfer.files]);
  });
  return h("section", { "aria-labelledby": "upload-heading" }, h("h2", { id: "upload-heading" }, "Upload"), zone, list);

  function start(files) {
    for (const file of files) list.prepend(upload(file));
  }

  function upload(file) {
    const bar = h("progress", { max: 100, value: 0, "aria-label": `Progress of ${file.name}` });
    const status = h("p", { class: "muted", "aria-live": "polite" }, "Waiting…");
    const item = h("li", { "data-file": file.name }, h("strong", {}, file.name), ` (${bytes(file.size)})`, bar, status);
    const ext = file.name.includes(".") ? `.${file.name.split(".").pop().toLowerCase()}` : "";
    if (!policy.extensions.includes(ext)) {
      return refuse(item, bar, status, `Not uploaded: ${file.name} is not an allowed type. Allowed: ${policy.allowed}.`);
    }
    if (file.size > policy.max_upload_bytes) {
      return refuse(item, bar, status, `Not uploaded: ${file.name} is ${bytes(file.size)}, over the ${bytes(policy.max_upload_bytes)} limit.`);
    }
    status.textContent = "Checking for an existing document…";
    existing(slug, file).then((match) => {
      if (!match) return go({ slug });
      status.className = "";
      status.replaceChildren(h("span", { role: "alert" }, `${file.name} ${match.why}: “${match.doc.title}” (${match.doc.filename}, revision ${match.doc.revision}).`),
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => go({ slug, documentId: match.doc.id, ifMatch: match.doc.revision }) }, `New revision of ${match.doc.title}`),
          h("button", { type: "button", class: "secondary", onclick: () => go({ slug }) }, "Upload as a new document")));
      status.querySelector("button").focus();
    });
    return item;

    function go(target) {
      const started = performance.now();
      status.className = "muted";
      status.textContent = "Uploading…";
      sendFile(file, {
        ...target,
        onProgress(sent, total) {
          const seconds = Math.max((performance.now() - started) / 1000, 0.001);
          bar.max = total || file.size;
          bar.value = sent;
          status.textContent = `${bytes(sent)} of ${bytes(total || file.size)} · ${bytes(sent / seconds)}/s`;
        },
      }).then((done) => {
        bar.value = bar.max;
        status.className = "ok";
        const id = done.id && !target.documentId ? done.id : target.documentId;
        status.replaceChildren(target.documentId ? `Uploaded as revision ${done.revision} · ` : "Uploaded · ",
          h("a", { href: `/projects/${encodeURIComponent(slug)}/documents/${id}` }, done.title || "open the document"));
        onUploaded(done);
      }, (problem) => {
        refuse(item, bar, status, explain(problem, file, policy));
      });
    }
  }
}

function refuse(item, bar, status, text) {
  bar.remove();
  status.className = "error";
  status.setAttribute("role", "alert");
  status.textContent = text;
  return item;
}

export function explain(problem, file, policy) {
  switch (problem.status) {
    case 413: return `Too large: ${file.name} is over the ${bytes(policy.max_upload_bytes)} upload limit.`;
    case 415: return `Refused: ${problem.message}. Allowed: ${policy.allowed}, with contents that match the extension.`;
    case 403: return `You cannot upload here: ${problem.message}.`;
    default: return `Upload failed: ${problem.message}`;
  }
}

// Files up to this size are hashed in the page to find identical documents.
const HASH_LIMIT = 64_000_000;

// The stem of a file name without a version suffix: deck-ga-v2.pdf and
// Deck_GA_rev3.pdf both give "deck ga".
export function baseName(filename) {
  const stem = filename.replace(/\.[^.]*$/, "");
  return stem.replace(/[-_ .]*(v|rev|r|version)[-_ .]*\d+$/i, "").replace(/[-_.\s]+/g, " ").trim().toLowerCase();
}

async function sha256(file) {
  if (!crypto.subtle || file.size > HASH_LIMIT) return null;
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// A document of the same type the file is probably a new revision of: the
// same bytes, or the same name once version suffixes are set aside. Null when none, or
// when looking fails (the upload then goes ahead as a new document).
export async function existing(slug, file) {
  const extension = file.name.split(".").pop().toLowerCase();
  const type = extension === "jpeg" ? "jpg" : extension;
  const base = `/projects/${encodeURIComponent(slug)}/documents`;
  try {
    const hash = await sha256(file);
    if (hash) {
      const same = await api("GET", `${base}?sha256=${hash}&type=${type}&limit=1`);
      if (same.items.length) return { doc: same.items[0], why: "has the same content as an existing document" };
    }
    const name = baseName(file.name);
    if (!name) return null;
    const words = name.split(" ").sort((a, b) => b.length - a.length)[0];
    const similar = await api("GET", `${base}?q=${encodeURIComponent(words)}&type=${type}&limit=50`);
    const doc = similar.items.find((d) => baseName(d.filename) === name || baseName(`${d.title}.x`) === name);
    return doc ? { doc, why: "looks like a new version of" } : null;
  } catch {
    return null;
  }
}

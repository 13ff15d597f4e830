import { send } from "../api.js";
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
    const started = performance.now();
    sendFile(file, {
      slug,
      onProgress(sent, total) {
        const seconds = Math.max((performance.now() - started) / 1000, 0.001);
        bar.max = total || file.size;
        bar.value = sent;
        status.textContent = `${bytes(sent)} of ${bytes(total || file.size)} · ${bytes(sent / seconds)}/s`;
      },
    }).then((doc) => {
      bar.value = bar.max;
      status.className = "ok";
      status.replaceChildren("Uploaded · ", h("a", { href: `/projects/${encodeURIComponent(slug)}/documents/${doc.id}` }, doc.title));
      onUploaded(doc);
    }, (problem) => {
      refuse(item, bar, status, explain(problem, file, policy));
    });
    return item;
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

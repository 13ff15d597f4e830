import { api, send } from "../api.js";
import { bytes, h } from "../dom.js";
import { THRESHOLD, resumable, unfinished } from "./resumable.js";

// A drop zone and file picker; each chosen file uploads with its own
// progress bar (files over 8 MiB resumably, with pause and resume).
// Files the policy refuses are named with the rule, unsent.
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
  const waiting = h("ul", { class: "uploads", id: "unfinished-uploads", "aria-label": "Unfinished uploads" });
  unfinished(slug).then((entries) => {
    for (const entry of entries) {
      waiting.append(h("li", { "data-file": entry.filename }, h("strong", {}, entry.filename), ` (${bytes(entry.size)}) `,
        h("span", { class: "muted" }, "was interrupted: choose the same file again to continue where it stopped.")));
    }
  }, () => {});
  return h("section", { "aria-labelledby": "upload-heading" }, h("h2", { id: "upload-heading" }, "Upload"), zone, waiting, list);

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
    if (file.size > THRESHOLD) return resume(file, item, bar, status);
    const form = new FormData();
    form.append("file", file, file.name);
    const started = performance.now();
    send("POST", `/projects/${encodeURIComponent(slug)}/documents`, form, {
      onProgress(sent, total) {
        const seconds = Math.max((performance.now() - started) / 1000, 0.001);
        bar.max = total || file.size;
        bar.value = sent;
        status.textContent = `${bytes(sent)} of ${bytes(total || file.size)} · ${bytes(sent / seconds)}/s`;
      },
    }).then(done(bar, status), (problem) => {
      refuse(item, bar, status, explain(problem, file, policy));
    });
    return item;
  }

  function done(bar, status) {
    return (doc) => {
      bar.value = bar.max;
      status.className = "ok";
      status.replaceChildren("Uploaded · ", h("a", { href: `/projects/${encodeURIComponent(slug)}/documents/${doc.id}` }, doc.title));
      onUploaded(doc);
    };
  }

  // A large file: tus, with a Pause/Resume button; progress counts what
  // the server already has after a reload.
  function resume(file, item, bar, status) {
    const toggle = h("button", { type: "button", class: "button", disabled: true }, "Pause");
    item.append(toggle);
    let control = null;
    let paused = false;
    let started = performance.now();
    let first = null;
    bar.max = file.size;
    resumable(slug, file, {
      onProgress(sent, total) {
        first ??= sent;
        const seconds = Math.max((performance.now() - started) / 1000, 0.001);
        bar.value = sent;
        status.textContent = `${bytes(sent)} of ${bytes(total)} · ${bytes(Math.max(sent - first, 0) / seconds)}/s`;
      },
      onDone(id) {
        toggle.remove();
        api("GET", `/projects/${encodeURIComponent(slug)}/documents/${id}`).then(done(bar, status),
          (problem) => refuse(item, bar, status, `Uploaded, but the document could not be shown: ${problem.message}`));
      },
      onError(problem) {
        toggle.remove();
        refuse(item, bar, status, explain(problem, file, policy));
      },
    }).then((handle) => {
      control = handle;
      toggle.disabled = false;
      if (control.resumed) status.textContent = "Continuing an interrupted upload…";
    }, (error) => refuse(item, bar, status, `Upload failed: ${error.message}`));
    toggle.addEventListener("click", () => {
      if (!control) return;
      paused = !paused;
      if (paused) {
        control.pause();
        status.textContent = `Paused at ${bytes(bar.value)} of ${bytes(file.size)}.`;
      } else {
        started = performance.now();
        first = null;
        control.resume();
        status.textContent = "Resuming…";
      }
      toggle.textContent = paused ? "Resume" : "Pause";
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

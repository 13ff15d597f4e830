// A multi-page PDF viewer on pdf.js (vendored, ui/vendor/pdfjs): page
// thumbnails, previous/next and a page number, zoom, and pan by dragging.
import { h } from "../dom.js";

const BASE = "/ui/vendor/pdfjs/";
let library = null;

export function pdfjs() {
  library ??= import(`${BASE}pdf.min.mjs`).then((lib) => {
    lib.GlobalWorkerOptions.workerSrc = `${BASE}pdf.worker.min.mjs`;
    return lib;
  });
  return library;
}

export async function openPdf(bytes) {
  const lib = await pdfjs();
  // Fonts, CJK character maps and image decoders all come from /ui/vendor/
  // (the CSP allows no other origin). The decoders are wasm; where the
  // worker may not compile wasm pdf.js loads their plain-JS builds.
  return lib.getDocument({
    data: new Uint8Array(bytes),
    standardFontDataUrl: `${BASE}standard_fonts/`,
    cMapUrl: `${BASE}cmaps/`,
    cMapPacked: true,
    wasmUrl: `${BASE}wasm/`,
  }).promise;
}

// Draws page `number` of `pdf` into `canvas` at `scale` (CSS pixels per point).
export async function drawPage(pdf, number, canvas, scale) {
  const page = await pdf.getPage(number);
  const viewport = page.getViewport({ scale: scale * (window.devicePixelRatio || 1) });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / (window.devicePixelRatio || 1))}px`;
  await page.render({ canvas, viewport }).promise;
  return page;
}

export async function pdfViewer(bytes, title) {
  const pdf = await openPdf(bytes);
  const count = pdf.numPages;
  let current = 1;
  let scale = 1;
  let drawing = Promise.resolve();
  const canvas = h("canvas", { class: "pdf-page", role: "img", "aria-label": `${title}, page 1 of ${count}` });
  const stage = h("div", { class: "viewer-stage", tabindex: 0, "aria-label": "Page view; drag or use the arrow keys to pan" }, canvas);
  const number = h("input", { type: "number", id: "pdf-page", min: 1, max: count, value: 1, class: "page-number" });
  const status = h("span", { id: "pdf-status", "aria-live": "polite" }, `Page 1 of ${count}`);
  const zoomText = h("span", { class: "muted" }, "100%");
  const thumbs = h("ol", { class: "pdf-thumbs", "aria-label": "Pages" });
  const go = (n) => show(Math.min(count, Math.max(1, n)));
  const toolbar = h("div", { class: "viewer-tools", role: "toolbar", "aria-label": "PDF pages and zoom" },
    h("button", { type: "button", class: "secondary", onclick: () => go(current - 1) }, "Previous page"),
    h("label", { for: "pdf-page" }, "Page"), number, h("span", {}, `of ${count}`),
    h("button", { type: "button", class: "secondary", onclick: () => go(current + 1) }, "Next page"),
    h("button", { type: "button", class: "secondary", "aria-label": "Zoom out", onclick: () => zoom(scale / 1.25) }, "−"),
    zoomText,
    h("button", { type: "button", class: "secondary", "aria-label": "Zoom in", onclick: () => zoom(scale * 1.25) }, "+"),
    h("button", { type: "button", class: "secondary", onclick: fitWidth }, "Fit width"),
    status);
  number.addEventListener("change", () => go(Number(number.value) || 1));
  number.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); go(Number(number.value) || 1); } });
  panByDragging(stage);

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting || entry.target.dataset.drawn) continue;
      entry.target.dataset.drawn = "1";
      drawPage(pdf, Number(entry.target.dataset.page), entry.target.querySelector("canvas"), 0.18).catch(() => {});
    }
  }, { root: thumbs, rootMargin: "200px" });
  for (let n = 1; n <= count; n += 1) {
    const item = h("li", { "data-page": n },
      h("button", { type: "button", class: "thumb-button", "aria-label": `Page ${n}`, onclick: () => go(n) }, h("canvas", { "aria-hidden": "true" }), h("span", {}, String(n))));
    thumbs.append(item);
    observer.observe(item);
  }

  const node = h("div", { class: "viewer pdf-viewer", "data-pages": count }, toolbar, h("div", { class: "pdf-body" }, thumbs, stage));
  node.dispose = () => {
    observer.disconnect();
    pdf.loadingTask?.destroy?.();
  };
  fitWhenShown();
  return node;

  function show(n) {
    current = n;
    number.value = String(n);
    status.textContent = `Page ${n} of ${count}`;
    canvas.setAttribute("aria-label", `${title}, page ${n} of ${count}`);
    for (const item of thumbs.children) item.toggleAttribute("data-current", Number(item.dataset.page) === n);
    thumbs.children[n - 1]?.scrollIntoView({ block: "nearest" });
    drawing = drawing.then(() => drawPage(pdf, n, canvas, scale)).then(() => { canvas.dataset.page = String(n); }, () => {});
    return drawing;
  }

  function zoom(next) {
    scale = Math.min(6, Math.max(0.2, next));
    zoomText.textContent = `${Math.round(scale * 100)}%`;
    return show(current);
  }

  // The stage has no width until the page mounts the viewer.
  function fitWhenShown(tries = 0) {
    if (stage.clientWidth > 50 || tries > 100) return fitWidth();
    return requestAnimationFrame(() => fitWhenShown(tries + 1));
  }

  async function fitWidth() {
    const page = await pdf.getPage(current);
    const width = page.getViewport({ scale: 1 }).width;
    return zoom(Math.max(0.2, (stage.clientWidth - 16) / width));
  }
}

// Dragging with the mouse scrolls the stage; the keyboard scrolls it too
// (it is focusable).
export function panByDragging(stage) {
  let from = null;
  stage.addEventListener("pointerdown", (e) => {
    from = { x: e.clientX, y: e.clientY, left: stage.scrollLeft, top: stage.scrollTop };
    stage.setPointerCapture(e.pointerId);
  });
  stage.addEventListener("pointermove", (e) => {
    if (!from) return;
    stage.scrollLeft = from.left - (e.clientX - from.x);
    stage.scrollTop = from.top - (e.clientY - from.y);
  });
  const end = () => { from = null; };
  stage.addEventListener("pointerup", end);
  stage.addEventListener("pointercancel", end);
}

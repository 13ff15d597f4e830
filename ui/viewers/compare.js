// Two revisions side by side, or one over the other (swipe: a divider
// the reader moves; blend: the upper one's opacity), for images and PDF
// pages; 3D models side by side.
import { blob } from "../api.js";
import { h, mount } from "../dom.js";
import { modelViewer } from "./model.js";
import { drawPage, openPdf } from "./pdf.js";

async function bytesOf(base, revision) {
  const { blob: body } = await blob(`${base}/revisions/${revision}/content`);
  return body;
}

export async function compareView(base, doc, from, to) {
  const [older, newer] = await Promise.all([bytesOf(base, from), bytesOf(base, to)]);
  if (["glb", "gltf", "stl"].includes(doc.type)) {
    const [a, b] = await Promise.all([
      modelViewer(await older.arrayBuffer(), doc.type, `${doc.title}, revision ${from}`),
      modelViewer(await newer.arrayBuffer(), doc.type, `${doc.title}, revision ${to}`),
    ]);
    if (!a || !b) return null;
    return h("div", { class: "compare-pair" }, figure(a, `Revision ${from}`), figure(b, `Revision ${to}`));
  }
  if (["png", "jpg"].includes(doc.type)) {
    const pair = () => [
      h("img", { src: URL.createObjectURL(older), alt: `${doc.title}, revision ${from}` }),
      h("img", { src: URL.createObjectURL(newer), alt: `${doc.title}, revision ${to}` }),
    ];
    return overlayControls(pair, from, to, null);
  }
  if (doc.type === "pdf") {
    const [a, b] = await Promise.all([openPdf(await older.arrayBuffer()), openPdf(await newer.arrayBuffer())]);
    const pages = Math.max(a.numPages, b.numPages);
    const number = h("input", { type: "number", id: "compare-page", min: 1, max: pages, value: 1, class: "page-number" });
    const pair = () => {
      const n = Number(number.value) || 1;
      const left = h("canvas", { role: "img", "aria-label": `Page ${n} of revision ${from}` });
      const right = h("canvas", { role: "img", "aria-label": `Page ${n} of revision ${to}` });
      if (n <= a.numPages) drawPage(a, n, left, 0.9).catch(() => {});
      if (n <= b.numPages) drawPage(b, n, right, 0.9).catch(() => {});
      return [left, right];
    };
    const pageField = h("div", { class: "field" }, h("label", { for: "compare-page" }, `Page (of ${pages})`), number);
    return overlayControls(pair, from, to, { field: pageField, input: number });
  }
  return null;
}

function figure(node, caption) {
  return h("figure", { class: "compare-side" }, node, h("figcaption", {}, caption));
}

function overlayControls(pair, from, to, page) {
  let mode = "side";
  const stage = h("div", { class: "compare-stage", id: "compare-stage" });
  const slider = h("input", { type: "range", id: "compare-amount", min: 0, max: 100, value: 50 });
  const sliderLabel = h("label", { for: "compare-amount" }, "Divider");
  const sliderField = h("div", { class: "field", hidden: true }, sliderLabel, slider);
  const modes = [["side", "Side by side"], ["swipe", "Swipe"], ["blend", "Blend"]];
  const radios = h("fieldset", { class: "row modes" }, h("legend", {}, "Show"),
    modes.map(([value, label]) => h("label", { class: "check" },
      h("input", { type: "radio", name: "compare-mode", value, checked: value === mode, onchange: () => { mode = value; draw(); } }), ` ${label}`)));
  let upper = null;
  const apply = () => {
    if (!upper) return;
    const amount = Number(slider.value);
    if (mode === "swipe") {
      upper.style.clipPath = `inset(0 ${100 - amount}% 0 0)`;
      upper.style.opacity = "";
    } else if (mode === "blend") {
      upper.style.clipPath = "";
      upper.style.opacity = String(amount / 100);
    }
  };
  slider.addEventListener("input", apply);
  page?.input.addEventListener("change", () => draw());
  function draw() {
    const [older, newer] = pair();
    sliderField.hidden = mode === "side";
    sliderLabel.textContent = mode === "swipe" ? `Divider: revision ${from} left of it, ${to} right` : `Opacity of revision ${from} over ${to}`;
    if (mode === "side") {
      upper = null;
      mount(stage, h("div", { class: "compare-pair" }, figure(older, `Revision ${from}`), figure(newer, `Revision ${to}`)));
    } else {
      older.classList.add("compare-upper");
      upper = older;
      mount(stage, h("div", { class: "compare-overlay", "data-mode": mode }, newer, older),
        h("p", { class: "muted" }, `Revision ${from} over revision ${to}`));
      apply();
    }
  }
  draw();
  return h("div", { class: "compare" }, h("div", { class: "row" }, radios, page?.field, sliderField), stage);
}

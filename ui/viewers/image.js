// An image at full resolution with zoom (buttons, or the wheel with Ctrl)
// and pan (drag, or the arrow keys once the stage has focus).
import { h } from "../dom.js";
import { panByDragging } from "./pdf.js";

export function imageViewer(url, title) {
  let scale = 1;
  const image = h("img", { src: url, alt: title, class: "zoomable", draggable: "false" });
  const stage = h("div", { class: "viewer-stage", tabindex: 0, "aria-label": "Image view; drag or use the arrow keys to pan" }, image);
  const zoomText = h("span", { class: "muted", id: "image-zoom" }, "fit");
  const zoom = (next) => {
    scale = Math.min(16, Math.max(0.05, next));
    image.style.width = `${Math.round(image.naturalWidth * scale)}px`;
    image.style.maxWidth = "none";
    zoomText.textContent = `${Math.round(scale * 100)}%`;
  };
  const fit = () => {
    image.style.width = "";
    image.style.maxWidth = "100%";
    scale = image.naturalWidth ? image.clientWidth / image.naturalWidth : 1;
    zoomText.textContent = "fit";
  };
  stage.addEventListener("wheel", (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    zoom(scale * (e.deltaY < 0 ? 1.2 : 1 / 1.2));
  }, { passive: false });
  panByDragging(stage);
  const tools = h("div", { class: "viewer-tools", role: "toolbar", "aria-label": "Image zoom" },
    h("button", { type: "button", class: "secondary", "aria-label": "Zoom out", onclick: () => zoom(scale / 1.25) }, "−"),
    zoomText,
    h("button", { type: "button", class: "secondary", "aria-label": "Zoom in", onclick: () => zoom(scale * 1.25) }, "+"),
    h("button", { type: "button", class: "secondary", onclick: () => zoom(1) }, "100%"),
    h("button", { type: "button", class: "secondary", onclick: fit }, "Fit"));
  return h("div", { class: "viewer image-viewer" }, tools, stage);
}

// The document page's viewers: pdf.js pages, three.js models, images.
import { blob } from "../api.js";
import { register } from "../registry.js";
import { imageViewer } from "../viewers/image.js";
import { modelViewer } from "../viewers/model.js";
import { pdfViewer } from "../viewers/pdf.js";

export async function revisionBytes(base, revision) {
  const { blob: body } = await blob(`${base}/revisions/${revision}/content`);
  return body.arrayBuffer();
}

register("document.viewers", {
  id: "pdf", accepts: (doc) => doc.type === "pdf",
  render: async ({ base, doc }) => pdfViewer(await revisionBytes(base, doc.revision), doc.title),
});
register("document.viewers", {
  id: "model", accepts: (doc) => ["glb", "gltf", "stl"].includes(doc.type),
  render: async ({ base, doc }) => modelViewer(await revisionBytes(base, doc.revision), doc.type, doc.title),
});
register("document.viewers", {
  id: "image", accepts: (doc) => ["png", "jpg"].includes(doc.type),
  render: async ({ base, doc }) => {
    const { blob: body } = await blob(`${base}/revisions/${doc.revision}/content`);
    return imageViewer(URL.createObjectURL(body), doc.title);
  },
});

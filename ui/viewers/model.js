// A 3D viewer on three.js (vendored, ui/vendor/three): orbit, zoom and pan
// with the mouse (OrbitControls), a grid, fit to view, and the model's
// dimensions from its bounding box. GLB, glTF (embedded buffers) and STL.
import { h } from "../dom.js";

const BASE = "/ui/vendor/three/";
let library = null;

function three() {
  library ??= Promise.all([
    import(`${BASE}three.module.js`),
    import(`${BASE}addons/controls/OrbitControls.js`),
    import(`${BASE}addons/loaders/GLTFLoader.js`),
    import(`${BASE}addons/loaders/STLLoader.js`),
  ]).then(([THREE, orbit, gltf, stl]) => ({ THREE, OrbitControls: orbit.OrbitControls, GLTFLoader: gltf.GLTFLoader, STLLoader: stl.STLLoader }));
  return library;
}

// A glTF whose buffers are data: URIs, as one GLB: the loader would fetch
// the URIs, which the page's CSP (connect-src 'self') rightly refuses.
export function gltfToGlb(text) {
  const json = JSON.parse(text);
  const chunks = [];
  let length = 0;
  const starts = [];
  for (const buffer of json.buffers || []) {
    const match = /^data:[^,]*;base64,(.*)$/s.exec(buffer.uri || "");
    if (!match) throw new Error("this glTF keeps its data in separate files, which are not uploaded with it");
    const bytes = Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0));
    starts.push(length);
    chunks.push(bytes);
    length += Math.ceil(bytes.length / 4) * 4;
  }
  for (const view of json.bufferViews || []) {
    view.byteOffset = (view.byteOffset || 0) + starts[view.buffer];
    view.buffer = 0;
  }
  json.buffers = length ? [{ byteLength: length }] : [];
  const encoded = new TextEncoder().encode(JSON.stringify(json));
  const jsonLength = Math.ceil(encoded.length / 4) * 4;
  const total = 12 + 8 + jsonLength + (length ? 8 + length : 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x46546c67, true);
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonLength, true);
  view.setUint32(16, 0x4e4f534a, true);
  out.fill(0x20, 20, 20 + jsonLength);
  out.set(encoded, 20);
  if (length) {
    let at = 20 + jsonLength;
    view.setUint32(at, length, true);
    view.setUint32(at + 4, 0x004e4942, true);
    at += 8;
    chunks.forEach((bytes, i) => out.set(bytes, at + starts[i]));
  }
  return out.buffer;
}

async function load(lib, bytes, type) {
  if (type === "stl") {
    const geometry = new lib.STLLoader().parse(bytes);
    geometry.computeVertexNormals();
    return new lib.THREE.Mesh(geometry, new lib.THREE.MeshStandardMaterial({ color: 0x8a9bb0, metalness: 0.1, roughness: 0.7, side: lib.THREE.DoubleSide }));
  }
  const glb = type === "gltf" ? gltfToGlb(new TextDecoder().decode(bytes)) : bytes;
  const gltf = await new lib.GLTFLoader().parseAsync(glb, "");
  // Engineering parts are often open shells without normals: light both sides.
  gltf.scene.traverse((node) => {
    if (!node.isMesh) return;
    if (!node.geometry.attributes.normal) node.geometry.computeVertexNormals();
    for (const material of [node.material].flat()) material.side = lib.THREE.DoubleSide;
  });
  return gltf.scene;
}

function number(value) {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

export async function modelViewer(bytes, type, title) {
  const lib = await three();
  const { THREE } = lib;
  const canvas = h("canvas", { class: "model-canvas", role: "img", "aria-label": `3D view of ${title}; drag to orbit, scroll to zoom, right-drag to pan` });
  const facts = h("p", { class: "muted", id: "model-dimensions" });
  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  } catch {
    return null;
  }
  const object = await load(lib, bytes, type);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xeef1f4);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 2.2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(3, 5, 4);
  scene.add(sun);
  scene.add(object);
  const box = new THREE.Box3().setFromObject(object);
  const size = box.getSize(new THREE.Vector3());
  const center = box.getCenter(new THREE.Vector3());
  const radius = Math.max(size.length() / 2, 1e-6);
  const grid = new THREE.GridHelper(radius * 4, 20, 0x667788, 0xb8c2cc);
  grid.position.set(center.x, box.min.y, center.z);
  scene.add(grid);
  facts.textContent = `Size: ${number(size.x)} × ${number(size.y)} × ${number(size.z)} (width × height × depth, model units)`;

  const camera = new THREE.PerspectiveCamera(40, 1, radius / 100, radius * 100);
  const controls = new lib.OrbitControls(camera, canvas);
  controls.enableDamping = false;
  const fit = () => {
    const distance = radius / Math.sin((camera.fov * Math.PI) / 360);
    camera.position.copy(center).add(new THREE.Vector3(1, 0.8, 1.2).normalize().multiplyScalar(distance * 1.1));
    controls.target.copy(center);
    controls.update();
  };
  fit();
  let frame = 0;
  const draw = () => {
    frame = 0;
    const width = canvas.clientWidth || 480;
    const height = canvas.clientHeight || 360;
    if (canvas.width !== Math.floor(width * devicePixelRatio) || canvas.height !== Math.floor(height * devicePixelRatio)) {
      renderer.setPixelRatio(devicePixelRatio);
      renderer.setSize(width, height, false);
      camera.aspect = width / height;
      camera.updateProjectionMatrix();
    }
    renderer.render(scene, camera);
  };
  const request = () => { if (!frame) frame = requestAnimationFrame(draw); };
  controls.addEventListener("change", request);
  const resize = new ResizeObserver(request);
  resize.observe(canvas);
  request();
  const turn = (angle) => {
    const offset = camera.position.clone().sub(controls.target).applyAxisAngle(new THREE.Vector3(0, 1, 0), angle);
    camera.position.copy(controls.target).add(offset);
    controls.update();
    request();
  };
  const tools = h("div", { class: "viewer-tools", role: "toolbar", "aria-label": "3D view" },
    h("button", { type: "button", class: "secondary", onclick: () => { fit(); request(); } }, "Fit to view"),
    h("button", { type: "button", class: "secondary", onclick: () => turn(-Math.PI / 8) }, "Turn left"),
    h("button", { type: "button", class: "secondary", onclick: () => turn(Math.PI / 8) }, "Turn right"),
    h("label", { class: "check" }, h("input", { type: "checkbox", checked: true, onchange: (e) => { grid.visible = e.target.checked; request(); } }), " Grid"));
  const node = h("div", { class: "viewer model-viewer" }, tools, h("div", { class: "model-stage" }, canvas), facts);
  node.dispose = () => { resize.disconnect(); controls.dispose(); renderer.dispose(); renderer.forceContextLoss?.(); };
  return node;
}

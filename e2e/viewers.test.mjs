// The document page's viewers in Chromium: pdf.js pages, a three.js model
// that turns under the mouse, an image with zoom; axe on each page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiClient, startServer } from "./server.mjs";
import { assertAccessible, fixture, launch, manyPagePdf, shoot, shots, signedIn } from "./browser.mjs";

let server;
let browser;
const external = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  const owner = apiClient(server.url, server.token("olga", true));
  await owner("POST", "/projects", { slug: "works", title: "Works" });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(external, [], "the UI made requests to other hosts");
});

async function upload(page, path, name) {
  await page.goto(`${server.url}/projects/works`);
  await page.locator("#file-picker").setInputFiles(path);
  const item = page.locator(`li[data-file="${name}"]`);
  await item.getByText("Uploaded").waitFor({ timeout: 60000 });
  await item.getByRole("link").click();
  await page.getByRole("heading", { name: "History" }).waitFor();
}

test("a 40-page PDF opens in the viewer and goes to page 30", async () => {
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  const pdf = join(shots, "forty-pages.pdf");
  writeFileSync(pdf, manyPagePdf(40));
  await upload(page, pdf, "forty-pages.pdf");
  await page.locator("#pdf-status", { hasText: "Page 1 of 40" }).waitFor();
  await page.locator("canvas.pdf-page[data-page='1']").waitFor();
  await page.getByLabel("Page", { exact: true }).fill("30");
  await page.getByLabel("Page", { exact: true }).press("Enter");
  await page.locator("#pdf-status", { hasText: "Page 30 of 40" }).waitFor();
  await page.locator("canvas.pdf-page[data-page='30']").waitFor();
  // The page drawn is page 30: its canvas is not blank.
  const inked = await page.locator("canvas.pdf-page").evaluate((canvas) => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 100) dark += 1;
    return dark;
  });
  assert.ok(inked > 100, `page 30 has ink (${inked} dark pixels)`);
  await page.getByRole("button", { name: "Page 31" }).click();
  await page.locator("#pdf-status", { hasText: "Page 31 of 40" }).waitFor();
  await page.getByRole("button", { name: "Zoom in" }).click();
  await assertAccessible(page, "PDF document page");
  await shoot(page, "viewer-pdf");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("a GLB turns in the 3D viewer when dragged, with its dimensions", async () => {
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  await upload(page, fixture("model.glb"), "model.glb");
  const canvas = page.locator("canvas.model-canvas");
  await canvas.waitFor();
  await page.locator("#model-dimensions", { hasText: "×" }).waitFor();
  await page.waitForTimeout(300);
  const before = await canvas.screenshot();
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 160, box.y + box.height / 2 + 40, { steps: 8 });
  await page.mouse.up();
  await page.waitForTimeout(300);
  const afterDrag = await canvas.screenshot();
  assert.ok(!before.equals(afterDrag), "the model turned: the canvas changed");
  await page.getByRole("button", { name: "Fit to view" }).click();
  await assertAccessible(page, "3D document page");
  await shoot(page, "viewer-glb");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("glTF with embedded buffers and STL open in the 3D viewer; an image zooms", async () => {
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  for (const name of ["model.gltf", "part_binary.stl"]) {
    await upload(page, fixture(name), name);
    await page.locator("#model-dimensions", { hasText: "×" }).waitFor();
    await page.locator("canvas.model-canvas").waitFor();
  }
  await upload(page, fixture("photo.png"), "photo.png");
  const image = page.locator(".image-viewer img");
  await image.waitFor();
  await page.waitForFunction(() => document.querySelector(".image-viewer img").naturalWidth > 0);
  const narrow = (await image.boundingBox()).width;
  await page.getByRole("button", { name: "Zoom in" }).click();
  await page.getByRole("button", { name: "Zoom in" }).click();
  const wide = (await image.boundingBox()).width;
  assert.ok(wide > narrow, `zoomed in: ${narrow} → ${wide}`);
  await assertAccessible(page, "image document page");
  await shoot(page, "viewer-image");
  assert.deepEqual(page.errors, []);
  await context.close();
});

// Counts the pixels of the first page's canvas that `test` accepts.
function countPixels(page, test) {
  return page.locator("canvas.pdf-page").evaluate((canvas, source) => {
    const accept = new Function("r", "g", "b", `return ${source}`);
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (accept(data[i], data[i + 1], data[i + 2])) n += 1;
    return n;
  }, test);
}

test("CJK text in a font that is not embedded, and a JPEG 2000 image, render", async () => {
  const { context, page } = await signedIn(browser, server, "olga", external, { admin: true });
  // 日本語 only becomes glyphs through the vendored UniJIS-UCS2-H character map.
  await upload(page, fixture("cjk_text.pdf"), "cjk_text.pdf");
  await page.locator("canvas.pdf-page[data-page='1']").waitFor();
  const text = await page.evaluate(async (bytes) => {
    const { openPdf } = await import("/ui/viewers/pdf.js");
    const pdf = await openPdf(new Uint8Array(bytes).buffer);
    const content = await (await pdf.getPage(1)).getTextContent();
    return content.items.map((item) => item.str).join("");
  }, [...readFileSync(fixture("cjk_text.pdf"))]);
  assert.equal(text, "日本語");
  const ink = await countPixels(page, "r < 128 && g < 128 && b < 128");
  assert.ok(ink > 200, `the CJK text is drawn (${ink} dark pixels)`);
  await assertAccessible(page, "CJK PDF");
  await shoot(page, "viewer-pdf-cjk");

  // The image is a JPEG 2000 codestream: left half red, right half blue.
  await upload(page, fixture("jpx_image.pdf"), "jpx_image.pdf");
  await page.locator("canvas.pdf-page[data-page='1']").waitFor();
  const red = await countPixels(page, "r > 180 && g < 90 && b < 90");
  const blue = await countPixels(page, "b > 180 && r < 90 && g < 120");
  assert.ok(red > 1000 && blue > 1000, `the JPEG 2000 image is decoded (${red} red, ${blue} blue pixels)`);
  await shoot(page, "viewer-pdf-jpx");
  assert.deepEqual(page.errors, []);
  await context.close();
});

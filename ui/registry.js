// The places a part of the UI plugs into. Each file in ui/parts/ is loaded
// once at start (the server generates /ui/parts.js importing every one of
// them) and calls register(place, part) for what it adds; pages draw the
// parts of their places in `order` (smaller first, default 100). No page
// needs editing to add a button, a section, a tab or a page.
//
// Places and the shape of their parts (ctx is described beside each):
//
//   "routes"            { match(path, pieces) -> params|null, render(main, params) -> leave?|Promise, public? }
//                       a page of its own; path is location.pathname without the
//                       trailing slash, pieces its decoded segments; tried before the
//                       built-in pages; public: no sign-in needed. Its path must
//                       answer the shell: PAGES in src/api/ui.rs.
//   "account"           { render({claims}) -> Node|null }        items in the header bar
//   "login"             { render({next}) -> Node|null }          other ways to sign in
//   "project.tabs"      { id, label, visible?(ctx) -> bool, render(main, ctx) -> leave?|Promise }
//                       a tab at /projects/{slug}/{id}; ctx = {slug, project, me}
//   "project.sections"  { render(ctx) -> Node|Promise<Node>|null }  on the documents tab, above the list
//   "document.badges"   { render(doc) -> Node|null }             beside a title, in lists and on the page
//   "document.details"  { render(ctx) -> [[label, value], ...] } rows of the details list
//   "document.viewers"  { accepts(doc) -> bool, render(ctx) -> Promise<Node|null> }
//                       the first that accepts shows the document (node.dispose() on
//                       leaving); the server's preview when none does or it fails
//   "document.actions"  { render(ctx) -> Node|null }             buttons beside Download
//   "document.sections" { render(ctx) -> Node|Promise<Node>|null } sections under the details
//                       ctx = {slug, base, doc, level, me, refresh}; level: 0 none … 3 admin
//                       (RANK below); refresh() redraws the page after a change.
//   "events"            { describe(event) -> string|null }       the toast for a live event
//   "uploads"           { accepts(file, target) -> bool, send(file, target) -> Promise<doc|revision> }
//                       how a file travels; target = {slug, documentId?, ifMatch?, title?,
//                       tags?, onProgress(sent, total)}; the first part that accepts
//                       sends it, else the plain multipart/PUT request does.
const places = new Map();

export const RANK = { none: 0, read: 1, write: 2, admin: 3 };

export function register(place, part) {
  if (!places.has(place)) places.set(place, []);
  const list = places.get(place);
  list.push({ order: 100, ...part });
  list.sort((a, b) => a.order - b.order);
}

export function parts(place) {
  return places.get(place) || [];
}

// Calls render(ctx) of every part of `place`; a part that fails is named
// in the console and left out, so one broken part never blanks a page.
export async function renderAll(place, ctx) {
  const drawn = await Promise.all(parts(place).map(async (part) => {
    try {
      return await part.render(ctx);
    } catch (error) {
      console.error(`UI part ${part.id || "?"} in ${place} failed`, error);
      return null;
    }
  }));
  return drawn.filter((node) => node !== null && node !== undefined && node !== false);
}

// The synchronous form, for places drawn inside a synchronous builder (badges).
export function renderEach(place, ctx) {
  return parts(place).map((part) => {
    try {
      return part.render(ctx);
    } catch (error) {
      console.error(`UI part ${part.id || "?"} in ${place} failed`, error);
      return null;
    }
  }).filter((node) => node !== null && node !== undefined && node !== false);
}

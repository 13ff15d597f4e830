// Large files upload with tus (tus-js-client 4.3.1, vendored under
// /ui/vendor, loaded the first time it is needed): in 5 MiB pieces that
// survive a dropped connection, a pause, or a page reload. The browser
// remembers each unfinished upload by user, project and file, so choosing
// the same file again continues where it stopped.
import { api, token } from "../api.js";

export const THRESHOLD = 8 * 1024 * 1024;
const CHUNK = 5 * 1024 * 1024;
const LIBRARY = "/ui/vendor/tus-js-client-4.3.1.min.js";
let loading = null;

function library() {
  loading ??= new Promise((resolve, reject) => {
    if (window.tus) return resolve(window.tus);
    const script = Object.assign(document.createElement("script"), { src: LIBRARY });
    script.onload = () => resolve(window.tus);
    script.onerror = () => {
      loading = null;
      reject(new Error("the upload library could not be loaded"));
    };
    document.head.append(script);
  });
  return loading;
}

const prefix = (slug) => `stockage/${token.claims()?.sub ?? ""}/${slug}/`;

// Uploads (or continues) `file` into project `slug`. Calls
// onProgress(sent, total), onDone(documentId) or onError({status, message}).
// Returns { pause(), resume(), resumedFrom } once started.
export async function resumable(slug, file, { onProgress, onDone, onError }) {
  const tus = await library();
  const upload = new tus.Upload(file, {
    endpoint: "/api/v1/uploads",
    chunkSize: CHUNK,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    metadata: { project: slug, filename: file.name },
    fingerprint: async () => `${prefix(slug)}${file.name}/${file.size}/${file.lastModified}`,
    removeFingerprintOnSuccess: true,
    onBeforeRequest(request) {
      request.setHeader("Authorization", `Bearer ${token.get()}`);
    },
    onProgress,
    async onSuccess({ lastResponse }) {
      try {
        let id = lastResponse?.getHeader("Stockage-Document");
        if (!id) {
          // Finished earlier (e.g. before a reload): the upload names its document.
          const status = await api("GET", new URL(upload.url, location.href).pathname.replace(/^\/api\/v1/, ""));
          id = status.document_id;
        }
        onDone(id);
      } catch (problem) {
        onError({ status: problem.status ?? 0, message: problem.message });
      }
    },
    onError(error) {
      const response = error.originalResponse;
      let message = error.message;
      try {
        message = JSON.parse(response.getBody()).detail || message;
      } catch {
        // Not a problem+json answer (e.g. the network): keep the client's words.
      }
      onError({ status: response?.getStatus() ?? 0, message });
    },
  });
  const previous = await upload.findPreviousUploads();
  if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
  upload.start();
  return {
    pause: () => upload.abort(),
    resume: () => upload.start(),
    resumed: previous.length > 0,
  };
}

// The unfinished uploads this browser remembers for project `slug`, as
// { filename, size }; loads the library only when there are any at all.
export async function unfinished(slug) {
  if (!Object.keys(localStorage).some((key) => key.startsWith(`tus::${prefix(slug)}`))) return [];
  const tus = await library();
  const all = await tus.defaultOptions.urlStorage.findAllUploads();
  return all
    .filter((entry) => entry.urlStorageKey.startsWith(`tus::${prefix(slug)}`))
    .map((entry) => ({ filename: entry.metadata?.filename ?? "?", size: entry.size }));
}

// The API client: the token lives in session storage, never in a page URL.
const KEY = "stockage.token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value.trim()),
  clear: () => sessionStorage.removeItem(KEY),
  claims() {
    const raw = this.get();
    if (!raw) return null;
    try {
      const payload = raw.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload));
    } catch {
      return null;
    }
  },
};

// A browser signed in through the server's OpenID provider holds an
// HttpOnly session cookie instead of a token; /api/v1/me says who it is and
// gives the CSRF token every change must carry.
export const session = {
  user: null,
  csrf: null,
  async load() {
    if (token.get()) return null;
    try {
      const response = await fetch("/api/v1/me", { credentials: "same-origin" });
      if (!response.ok) return null;
      const me = await response.json();
      if (me.via !== "session") return null;
      this.user = { sub: me.user, name: me.name, admin: me.admin };
      this.csrf = me.csrf_token;
      return this.user;
    } catch {
      return null;
    }
  },
  async signOut() {
    await fetch("/auth/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": this.csrf || "" } });
    this.user = null;
    this.csrf = null;
  },
};

export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function problem(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) {
    token.clear();
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  return new Problem(response.status, body);
}

function headers(extra = {}) {
  const value = token.get();
  if (value) return { Authorization: `Bearer ${value}`, ...extra };
  return session.csrf ? { "X-CSRF-Token": session.csrf, ...extra } : extra;
}

export async function api(method, path, body, extra = {}) {
  const init = { method, headers: headers(extra) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(`/api/v1${path}`, init);
  if (!response.ok) throw await problem(response);
  if (response.status === 204) return null;
  return response.json();
}

export async function blob(path) {
  const response = await fetch(`/api/v1${path}`, { headers: headers() });
  if (!response.ok) throw await problem(response);
  return { blob: await response.blob(), response };
}

// Saves the bytes at `path` under `name` through a temporary link.
export async function download(path, name) {
  const { blob: bytes } = await blob(path);
  const url = URL.createObjectURL(bytes);
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Sends `body` with XMLHttpRequest for its upload progress events.
// onProgress(sent, total); resolves with the JSON answer or rejects with a Problem.
export function send(method, path, body, { onProgress, headers: extra = {} } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, `/api/v1${path}`);
    for (const [name, value] of Object.entries(headers(extra))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onerror = () => reject(new Problem(0, { detail: "the connection to the server failed" }));
    xhr.onload = () => {
      let parsed = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed);
      else reject(new Problem(xhr.status, parsed));
    };
    xhr.send(body);
  });
}

// Follows the project's events over the WebSocket from `after` (null: from
// now), reconnecting from the last position seen; calls onEvent(frame) for
// each event, and onGap() after a reconnect that cannot resume exactly.
export function follow(slug, after, onEvent, onGap = () => {}) {
  let last = after;
  let socket = null;
  let stopped = false;
  let delay = 500;
  const open = () => {
    if (stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // With a session the cookie goes along with the handshake.
    const query = new URLSearchParams(token.get() ? { access_token: token.get() } : {});
    if (last !== null) query.set("after", String(last));
    else if (socket) onGap();
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/projects/${encodeURIComponent(slug)}/ws?${query}`);
    socket.onopen = () => (delay = 500);
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "event") {
        last = frame.position;
        onEvent(frame);
      } else if (frame.type === "resync") {
        last = frame.after;
      }
    };
    socket.onclose = () => {
      if (stopped) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
  return () => {
    stopped = true;
    socket?.close();
  };
}

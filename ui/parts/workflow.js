import { api } from "../api.js";
import { h, when } from "../dom.js";
import { RANK, register } from "../registry.js";

// Check-out locks and the release lifecycle (API.md "Check-out locks",
// "Lifecycle"): a lock badge and a state chip beside every title, and a
// section on the document page with the lock and the allowed transitions.

export const STATES = { wip: "Work in progress", in_review: "In review", released: "Released", obsolete: "Obsolete" };

// The transitions of the contract and the access each needs (the server
// decides; this only chooses which buttons to offer).
const MOVES = {
  wip: [["in_review", "Submit for review", RANK.write]],
  in_review: [["released", "Release", RANK.admin], ["wip", "Back to work", RANK.write]],
  released: [["wip", "Revise", RANK.write], ["obsolete", "Make obsolete", RANK.admin]],
  obsolete: [["wip", "Revise", RANK.admin]],
};

register("document.badges", { id: "workflow", order: 10, render: badges });
register("document.sections", { id: "workflow", order: 10, render: section });
register("events", { id: "workflow", describe });

function stateChip(doc) {
  const label = STATES[doc.state] || doc.state;
  const letter = doc.state === "released" && doc.release ? ` ${doc.release}` : "";
  return h("span", { class: `chip state-${doc.state}`, "data-state": doc.state, title: `State: ${label}` }, label + letter);
}

function badges(doc) {
  const lock = doc.lock
    ? h("span", { class: "chip locked", "data-locked-by": doc.lock.locked_by, title: lockText(doc.lock) }, `Locked by ${doc.lock.locked_by}`)
    : null;
  return h("span", { class: "badges" }, stateChip(doc), lock);
}

function lockText(lock) {
  return `Checked out by ${lock.locked_by} until ${when(lock.expires_at)}${lock.note ? ` — “${lock.note}”` : ""}`;
}

// What the server said, in words a user can act on.
export function explain(problem) {
  const body = problem.body || {};
  if (problem.status === 423) return `Locked: ${body.locked_by} has checked this document out until ${when(body.expires_at)}. Ask them, or a document admin, to unlock it.`;
  if (problem.status === 409 && body.locked_by) return `Already checked out by ${body.locked_by} until ${when(body.expires_at)}.`;
  if (problem.status === 403) return `Not allowed: ${problem.message}`;
  return problem.message;
}

function section({ doc, level, me, base, refresh }) {
  const status = h("p", { id: "workflow-status", "aria-live": "polite" });
  const run = async (what) => {
    try {
      await what();
      await refresh();
    } catch (problem) {
      status.className = "error";
      status.setAttribute("role", "alert");
      status.textContent = explain(problem);
    }
  };
  return h("section", { "aria-labelledby": "workflow-heading", id: "workflow" },
    h("h2", { id: "workflow-heading" }, "Check-out and release"),
    lockPart(doc, level, me, base, run),
    statePart(doc, level, base, run),
    status);
}

function lockPart(doc, level, me, base, run) {
  const lock = doc.lock;
  if (lock) {
    const mine = lock.locked_by === me;
    const reason = h("input", { id: "break-reason", placeholder: "why (kept in the log)" });
    return h("div", { class: "card lock-card" },
      h("p", { id: "lock-text" }, lockText(lock)),
      mine
        ? h("div", { class: "row" },
            h("button", { type: "button", onclick: () => run(() => api("POST", `${base}/lock`, { note: lock.note, ttl: "24h" })) }, "Renew for 24 h"),
            h("button", { type: "button", class: "secondary", onclick: () => run(() => api("DELETE", `${base}/lock`)) }, "Unlock"))
        : level >= RANK.admin
          ? h("div", { class: "row" },
              h("div", { class: "field" }, h("label", { for: "break-reason" }, "Reason"), reason),
              h("button", { type: "button", class: "danger", onclick: () => run(() => api("DELETE", `${base}/lock?reason=${encodeURIComponent(reason.value)}`)) }, "Break lock"))
          : h("p", { class: "muted" }, "Changes wait until it is unlocked or the lock expires."));
  }
  if (level < RANK.write) return h("p", { class: "muted", id: "lock-text" }, "Not checked out.");
  const note = h("input", { id: "lock-note", placeholder: "e.g. redrawing the north elevation" });
  const ttl = h("select", { id: "lock-ttl" }, ["1h", "8h", "24h", "3d", "7d"].map((t) => h("option", { value: t, selected: t === "24h" }, t)));
  return h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); run(() => api("POST", `${base}/lock`, { note: note.value, ttl: ttl.value })); } },
    h("div", { class: "field" }, h("label", { for: "lock-note" }, "Note"), note),
    h("div", { class: "field" }, h("label", { for: "lock-ttl" }, "For"), ttl),
    h("button", { type: "submit" }, "Lock (check out)"));
}

function statePart(doc, level, base, run) {
  const comment = h("textarea", { id: "state-comment", rows: 2, placeholder: "what was checked, what changes" });
  const moves = (MOVES[doc.state] || []).filter(([, , need]) => level >= need);
  const released = doc.release ? h("span", { class: "muted" }, ` Latest release ${doc.release} froze revision ${doc.released_revision}.`) : null;
  return h("div", { class: "state-part" },
    h("p", {}, "State: ", stateChip(doc), released),
    moves.length
      ? h("div", { class: "row" },
          h("div", { class: "field" }, h("label", { for: "state-comment" }, "Comment"), comment),
          moves.map(([to, label]) => h("button", { type: "button", "data-to": to, onclick: () => run(() => api("POST", `${base}/state`, { to, comment: comment.value })) }, label)))
      : null);
}

function describe(event) {
  const d = event.data || {};
  switch (event.event) {
    case "document.locked": return d.renewed ? `${event.actor} renewed a check-out` : `${event.actor} checked a document out`;
    case "document.unlocked": return d.broken_by ? `${d.broken_by} broke ${d.locked_by}'s lock` : `${event.actor} unlocked a document`;
    case "document.state_changed": return `${event.actor} moved a document to ${STATES[d.to] || d.to}${d.release ? ` (release ${d.release})` : ""}`;
    default: return null;
  }
}

import { api } from "../api.js";
import { h, mount } from "../dom.js";

const PERMISSIONS = ["read", "write", "admin", "none"];
const PERMISSION_WORDS = { none: "no access (denied)", read: "can read", write: "can read and change", admin: "can manage (admin)" };
const ROLES = ["viewer", "editor", "admin", "owner"];

// "user:vera" → "vera (viewer)", "role:editor" → "everyone with the editor role".
function principalWords(principal, members) {
  const [kind, who] = principal.split(":");
  if (kind === "role") return `everyone with the ${who} role`;
  const member = members.find((m) => m.user_id === who);
  return member ? `${who} (${member.role})` : `${who} (not a member)`;
}

import { RANK, register } from "../registry.js";

register("document.sections", { id: "permissions", order: 90, render: (ctx) => (ctx.level >= RANK.admin ? permissionsSection(ctx) : null) });

// The document's ACL for its admins: entries, edits, and who gets what and why.
async function permissionsSection({ slug, base }) {
  const [{ entries }, { items: members }] = await Promise.all([
    api("GET", `${base}/acl`),
    api("GET", `/projects/${encodeURIComponent(slug)}/members`),
  ]);
  const list = h("div");
  const status = h("p", { "aria-live": "polite" });
  const save = async (next) => {
    try {
      await api("PUT", `${base}/acl`, { entries: next });
      status.className = "ok";
      status.textContent = "Permissions saved.";
      entries.splice(0, entries.length, ...next);
      draw();
    } catch (problem) {
      status.className = "error";
      status.textContent = problem.message;
    }
  };
  const draw = () => mount(list, entries.length
    ? h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Who"), h("th", { scope: "col" }, "Permission"), h("th", { scope: "col" }, ""))),
        h("tbody", {}, entries.map((e, i) => h("tr", {}, h("td", {}, principalWords(e.principal, members)), h("td", {}, PERMISSION_WORDS[e.permission] || e.permission),
          h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove the entry for ${principalWords(e.principal, members)}`, onclick: () => save(entries.filter((_, j) => j !== i)) }, "Remove"))))))
    : h("p", { class: "muted" }, "No rules: project roles decide (viewers read, editors read and change, admins and owners manage)."));
  draw();

  const kind = h("select", { id: "acl-kind" }, h("option", { value: "user" }, "Member"), h("option", { value: "role" }, "Role"));
  const who = h("select", { id: "acl-who", required: true });
  // Nobody is preselected: a rule is for someone the admin picked.
  const fill = () => mount(who, h("option", { value: "" }, "Choose…"), kind.value === "user"
    ? members.map((m) => h("option", { value: m.user_id }, `${m.user_id} (${m.role})`))
    : ROLES.map((r) => h("option", { value: r }, `everyone with the ${r} role`)));
  kind.addEventListener("change", fill);
  fill();
  const permission = h("select", { id: "acl-permission" }, PERMISSIONS.map((p) => h("option", { value: p }, PERMISSION_WORDS[p])));
  const add = h("form", { class: "row", onsubmit: (e) => {
      e.preventDefault();
      const principal = `${kind.value}:${who.value}`;
      save([...entries.filter((x) => x.principal !== principal), { principal, permission: permission.value }]);
    } },
    h("div", { class: "field" }, h("label", { for: "acl-kind" }, "For a"), kind),
    h("div", { class: "field" }, h("label", { for: "acl-who" }, "Who"), who),
    h("div", { class: "field" }, h("label", { for: "acl-permission" }, "Permission"), permission),
    h("button", { type: "submit" }, "Set"));

  const member = h("select", { id: "explain-user" }, h("option", { value: "" }, "Choose…"), members.map((m) => h("option", { value: m.user_id }, `${m.user_id} (${m.role})`)));
  const answer = h("p", { id: "explain-answer", "aria-live": "polite" });
  const explain = h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      if (!member.value) return;
      const result = await api("GET", `${base}/permissions?user=${encodeURIComponent(member.value)}`);
      answer.replaceChildren(h("strong", {}, result.permission), ` — because ${result.because}`);
    } },
    h("div", { class: "field" }, h("label", { for: "explain-user" }, "Member"), member),
    h("button", { type: "submit" }, "Explain"));

  return h("section", { "aria-labelledby": "permissions-heading" },
    h("h2", { id: "permissions-heading" }, "Permissions"), list, add, status,
    h("h3", {}, "Effective permission"), explain, answer);
}

// The Settings tab for admins and owners: how long revisions and the trash
// are kept (admins), the legal hold and the quota (owners), with the
// project's usage beside them.
import { api } from "../api.js";
import { h, mount, toast, when } from "../dom.js";
import { register } from "../registry.js";
import { usageBox } from "./usage.js";

const MANAGERS = ["admin", "owner"];

register("project.tabs", {
  id: "settings", label: "Settings", order: 60,
  visible: ({ project }) => MANAGERS.includes(project.my_role),
  render: async (main, { slug, project }) => {
    const base = `/projects/${encodeURIComponent(slug)}`;
    const owner = project.my_role === "owner";
    // Redrawn after each change; focus returns to the changed section's
    // heading, so a keyboard user keeps their place.
    const draw = async (focus) => {
      const settings = await api("GET", `${base}/retention`);
      mount(main, h("h2", {}, "Settings"), await usageBox(slug, "settings-usage"),
        policyForm(base, settings, draw), holdSection(base, settings, owner, draw), quotaForm(base, settings, owner, draw));
      if (focus) document.getElementById(focus)?.focus();
    };
    await draw();
  },
});

// A number field where empty means "no rule".
function count(id, label, value, hint) {
  const input = h("input", { id, type: "number", min: 1, step: 1, inputmode: "numeric", value: value ?? "", "aria-describedby": `${id}-hint`, class: "short" });
  return [input, h("div", { class: "field" }, h("label", { for: id }, label), input, h("span", { id: `${id}-hint`, class: "muted small" }, hint))];
}

const number = (input) => (input.value.trim() === "" ? null : Number(input.value));

function statusLine(id) {
  const status = h("p", { id, "aria-live": "polite" });
  const say = (text, error = false) => {
    status.className = error ? "error" : "ok";
    status.textContent = text;
  };
  return [status, say];
}

function policyForm(base, settings, redraw) {
  const [revisions, revisionsField] = count("keep-revisions", "Keep the last revisions", settings.keep_revisions, "of each document; empty: all");
  const [days, daysField] = count("keep-days", "Keep revisions younger than (days)", settings.keep_days, "empty: any age");
  const [trash, trashField] = count("trash-days", "Empty the trash after (days)", settings.trash_days, "empty: never");
  const [status, say] = statusLine("retention-status");
  return h("section", { "aria-labelledby": "retention-heading" },
    h("h3", { id: "retention-heading", tabindex: -1 }, "Retention"),
    h("p", { class: "muted" }, "Older revisions past these rules are purged on a schedule. The latest, labelled and released revisions are always kept, and nothing is purged while the project is on legal hold."),
    h("form", { class: "row card", id: "retention-form", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("PUT", `${base}/retention`, { keep_revisions: number(revisions), keep_days: number(days), trash_days: number(trash) });
          await redraw("retention-heading");
          toast("Retention saved.");
        } catch (problem) {
          say(`Not saved: ${problem.message}`, true);
        }
      } },
      revisionsField, daysField, trashField, h("button", { type: "submit" }, "Save retention")),
    status);
}

function holdSection(base, settings, owner, redraw) {
  const [status, say] = statusLine("hold-status");
  const state = settings.hold
    ? h("p", { class: "notice", id: "hold-state" }, `On legal hold${settings.hold_since ? ` since ${when(settings.hold_since)}` : ""}${settings.hold_reason ? ` — ${settings.hold_reason}` : ""}. Nothing in this project is purged.`)
    : h("p", { id: "hold-state" }, "Not on legal hold.");
  const reason = h("input", { id: "hold-reason", maxlength: 500, placeholder: "e.g. claim 2026-117" });
  const change = (on) => async (e) => {
    e.preventDefault();
    try {
      await api("PUT", `${base}/hold`, on ? { on, reason: reason.value.trim() || null } : { on });
      await redraw("hold-heading");
      toast(on ? "Legal hold on." : "Legal hold lifted.");
    } catch (problem) {
      say(`Not changed: ${problem.message}`, true);
    }
  };
  const controls = !owner
    ? h("p", { class: "muted" }, "Only owners put the project on legal hold or lift it.")
    : settings.hold
      ? h("form", { class: "row", onsubmit: change(false) }, h("button", { type: "submit", class: "secondary" }, "Lift the legal hold"))
      : h("form", { class: "row card", onsubmit: change(true) },
        h("div", { class: "field grow" }, h("label", { for: "hold-reason" }, "Reason (optional)"), reason),
        h("button", { type: "submit" }, "Put on legal hold"));
  return h("section", { "aria-labelledby": "hold-heading" }, h("h3", { id: "hold-heading", tabindex: -1 }, "Legal hold"), state, controls, status);
}

function quotaForm(base, settings, owner, redraw) {
  const value = settings.quota_mb;
  if (!owner) {
    return h("section", { "aria-labelledby": "quota-heading" }, h("h3", { id: "quota-heading", tabindex: -1 }, "Quota"),
      h("p", {}, value === null || value === undefined ? "This project uses the server's default quota." : `${value} MB.`),
      h("p", { class: "muted" }, "Only owners change the quota."));
  }
  const [input, field] = count("quota-mb", "Quota (MB)", value, "1 MB = 1,000,000 bytes; empty: the server's default");
  const [status, say] = statusLine("quota-status");
  return h("section", { "aria-labelledby": "quota-heading" }, h("h3", { id: "quota-heading", tabindex: -1 }, "Quota"),
    h("form", { class: "row card", id: "quota-form", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("PATCH", base, { quota_mb: number(input) });
          await redraw("quota-heading");
          toast("Quota saved.");
        } catch (problem) {
          say(`Not saved: ${problem.message}`, true);
        }
      } }, field, h("button", { type: "submit" }, "Save quota")),
    status);
}

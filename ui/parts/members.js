// The Members tab: who is in the project and with what role; admins and
// owners add people, change roles and remove them.
import { api, token } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { register } from "../registry.js";

const ROLES = ["viewer", "editor", "admin", "owner"];
export const ROLE_WORDS = {
  viewer: "Viewer — reads and downloads",
  editor: "Editor — also uploads and edits",
  admin: "Admin — also manages members and permissions",
  owner: "Owner — everything, and cannot be removed last",
};

register("project.tabs", {
  id: "members", label: "Members", order: 50,
  render: async (main, { slug, project }) => {
    const base = `/projects/${encodeURIComponent(slug)}/members`;
    const manage = project.my_role === "admin" || project.my_role === "owner";
    const me = token.claims()?.sub;
    const list = h("div", { id: "members" });
    const status = h("p", { "aria-live": "polite" });
    const fail = (problem) => {
      status.className = "error";
      status.textContent = problem.message;
    };
    const draw = async () => {
      const { items } = await api("GET", base);
      mount(list, h("table", {},
        h("caption", { class: "visually-hidden" }, "Members of this project"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Member"), h("th", { scope: "col" }, "Role"), manage ? h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")) : null)),
        h("tbody", {}, items.map((m) => {
          const role = h("select", { id: `role-${m.user_id}`, "aria-label": `Role of ${m.user_id}`, onchange: async () => {
              try {
                await api("PUT", `${base}/${encodeURIComponent(m.user_id)}`, { role: role.value });
                toast(`${m.user_id} is now ${role.value}.`);
                await draw();
              } catch (problem) { fail(problem); await draw(); }
            } }, ROLES.map((r) => h("option", { value: r, selected: r === m.role }, r)));
          return h("tr", { "data-member": m.user_id },
            h("td", {}, m.user_id, m.user_id === me ? h("span", { class: "muted" }, " (you)") : null),
            h("td", {}, manage ? role : ROLE_WORDS[m.role] || m.role),
            manage ? h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Remove ${m.user_id}`, onclick: async () => {
                try {
                  await api("DELETE", `${base}/${encodeURIComponent(m.user_id)}`);
                  toast(`${m.user_id} removed.`);
                  await draw();
                } catch (problem) { fail(problem); }
              } }, "Remove")) : null);
        }))));
    };
    const user = h("input", { id: "member-user", required: true, autocomplete: "off", placeholder: "user id, e.g. vera" });
    const role = h("select", { id: "member-role" }, ROLES.map((r) => h("option", { value: r, selected: r === "viewer" }, ROLE_WORDS[r])));
    const add = manage ? h("form", { class: "row card", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api("PUT", `${base}/${encodeURIComponent(user.value.trim())}`, { role: role.value });
          toast(`${user.value.trim()} added as ${role.value}.`);
          user.value = "";
          await draw();
        } catch (problem) { fail(problem); }
      } },
      h("div", { class: "field" }, h("label", { for: "member-user" }, "Add a member"), user),
      h("div", { class: "field" }, h("label", { for: "member-role" }, "Role"), role),
      h("button", { type: "submit" }, "Add")) : h("p", { class: "muted" }, "Admins and owners manage the members.");
    await draw();
    mount(main, h("h2", {}, "Members"), list, status, add,
      h("h3", {}, "What the roles allow"), h("ul", {}, ROLES.map((r) => h("li", {}, ROLE_WORDS[r]))));
  },
});

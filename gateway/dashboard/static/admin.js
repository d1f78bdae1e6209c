// Berth admin: users (create, block), every user's workspaces, and the nodes with their capacity. The page is
// only served to admins; the API checks again on every call.

import {
  $, Invalid, api, confirmThen, element, fillTable, loadSection, onSubmit, rowButton, setupHeader, size, when,
} from "./common.js";

async function loadUsers() {
  const { users } = await api("GET", "/api/users");
  const me = $("who").textContent;
  const rows = users.map((user) => {
    const block = rowButton("Block", `Block ${user.username}`, () => blockUser(user.username));
    // Blocking oneself would lock the last admin out: not offered.
    block.disabled = user.blocked || user.username === me;
    const status = user.blocked ? `blocked${user.blocked_reason ? `: ${user.blocked_reason}` : ""}` : "active";
    return element("tr", { "data-user": user.username, "data-blocked": String(user.blocked) },
      element("th", { scope: "row", text: user.username }),
      element("td", { text: user.role }),
      element("td", { class: "user-status", text: status }),
      element("td", {}, element("time", { datetime: user.created_at || "", text: when(user.created_at) })),
      element("td", { class: "row-actions" }, block));
  });
  fillTable($("users"), rows, 5, "No users.");
}

function blockUser(username) {
  return confirmThen($("confirm-block"), (dialog) => {
    dialog.querySelector(".subject").textContent = username;
  }, () => api("POST", `/api/users/${encodeURIComponent(username)}/block`, { reason: `blocked by ${$("who").textContent}` }),
  { errorElement: $("user-error"), verb: "block", reload: loadUsers, focus: $("user-name") });
}

onSubmit($("user-form"), $("user-error"), async () => {
  const body = { username: $("user-name").value.trim(), password: $("user-password").value, role: $("user-role").value };
  if (!body.username) throw new Invalid("Enter a username.", "username");
  await api("POST", "/api/users", body);
  $("user-form").reset();
  await loadUsers();
  $("user-name").focus();
});

async function loadWorkspaces() {
  const loaded = await loadSection("/api/admin/workspaces", $("all-message"), "Could not load the workspaces");
  if (loaded === null) return;
  const { workspaces } = loaded;
  $("all-message").textContent = `${workspaces.length} workspace${workspaces.length === 1 ? "" : "s"}`;
  const rows = workspaces.map((ws) => element("tr", { "data-id": ws.id },
    element("th", { scope: "row", class: "mono", text: ws.id }),
    element("td", { text: ws.owner }),
    element("td", {}, element("span", { class: "status", "data-phase": ws.phase || "not started",
      text: ws.phase || "not started" })),
    element("td", { text: ws.node || "" }),
    element("td", { text: ws.pinned ? "pinned" : "" })));
  fillTable($("all-workspaces"), rows, 5, "No workspaces.");
}

async function loadNodes() {
  const loaded = await loadSection("/api/nodes", $("nodes-message"), "Could not load the nodes");
  if (loaded === null) return;
  const rows = loaded.nodes.map((node) => element("tr", { "data-node": node.name },
    element("th", { scope: "row", class: "mono", text: node.name }),
    element("td", { text: String(node.cpus ?? "") }),
    element("td", { text: node.memory_bytes ? size(node.memory_bytes) : "" }),
    element("td", { class: "capacity", text: `${node.running ?? 0} / ${node.capacity ?? "?"}` }),
    element("td", {}, element("time", { datetime: node.registered_at || "", text: when(node.registered_at) }))));
  fillTable($("nodes"), rows, 5, "No nodes registered.");
}

async function main() {
  setupHeader();
  await Promise.allSettled([loadUsers().catch((failure) => {
    if (failure.status !== 401) $("user-error").textContent = `Could not load the users: ${failure.message}`;
  }), loadWorkspaces(), loadNodes()]);
}

main();

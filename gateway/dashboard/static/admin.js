// Berth admin: users (create, block), every user's workspaces, and the nodes with their capacity. The page is
// only served to admins; the API checks again on every call.

import { $, api, clearFormError, confirmDialog, element, setupHeader, showFormError, size, when } from "./common.js";

function emptyRow(columns, text) {
  return element("tr", {}, element("td", { colspan: String(columns), class: "muted", text }));
}

async function loadUsers() {
  const { users } = await api("GET", "/api/users");
  const me = $("who").textContent;
  const rows = users.map((user) => {
    const block = element("button", { type: "button", class: "danger", "aria-label": `Block ${user.username}`,
      text: "Block" });
    // Blocking oneself would lock the last admin out: not offered.
    block.disabled = user.blocked || user.username === me;
    block.addEventListener("click", () => blockUser(user.username));
    const status = user.blocked ? `blocked${user.blocked_reason ? `: ${user.blocked_reason}` : ""}` : "active";
    return element("tr", { "data-user": user.username, "data-blocked": String(user.blocked) },
      element("th", { scope: "row", text: user.username }),
      element("td", { text: user.role }),
      element("td", { class: "user-status", text: status }),
      element("td", {}, element("time", { datetime: user.created_at || "", text: when(user.created_at) })),
      element("td", { class: "row-actions" }, block));
  });
  $("users").replaceChildren(...(rows.length ? rows : [emptyRow(5, "No users.")]));
}

async function blockUser(username) {
  const confirmed = await confirmDialog($("confirm-block"), (dialog) => {
    dialog.querySelector(".subject").textContent = username;
  });
  if (!confirmed) return;
  try {
    await api("POST", `/api/users/${encodeURIComponent(username)}/block`, { reason: `blocked by ${$("who").textContent}` });
  } catch (failure) {
    $("user-error").textContent = `block failed: ${failure.message}`;
  }
  await loadUsers();
  $("user-name").focus();
}

$("user-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const form = $("user-form");
  clearFormError(form, $("user-error"));
  const body = { username: $("user-name").value.trim(), password: $("user-password").value, role: $("user-role").value };
  if (!body.username) {
    showFormError(form, $("user-error"), { message: "Enter a username.", field: "username" });
    return;
  }
  try {
    await api("POST", "/api/users", body);
    form.reset();
    await loadUsers();
    $("user-name").focus();
  } catch (failure) {
    showFormError(form, $("user-error"), failure);
  }
});

async function loadWorkspaces() {
  let workspaces;
  try {
    ({ workspaces } = await api("GET", "/api/admin/workspaces"));
  } catch (failure) {
    if (failure.status !== 401) $("all-message").textContent = `Could not load the workspaces: ${failure.message}`;
    return;
  }
  $("all-message").textContent = `${workspaces.length} workspace${workspaces.length === 1 ? "" : "s"}`;
  const rows = workspaces.map((ws) => element("tr", { "data-id": ws.id },
    element("th", { scope: "row", class: "mono", text: ws.id }),
    element("td", { text: ws.owner }),
    element("td", {}, element("span", { class: "status", "data-phase": ws.phase || "not started",
      text: ws.phase || "not started" })),
    element("td", { text: ws.node || "" }),
    element("td", { text: ws.pinned ? "pinned" : "" })));
  $("all-workspaces").replaceChildren(...(rows.length ? rows : [emptyRow(5, "No workspaces.")]));
}

async function loadNodes() {
  let nodes;
  try {
    ({ nodes } = await api("GET", "/api/nodes"));
  } catch (failure) {
    if (failure.status !== 401) $("nodes-message").textContent = `Could not load the nodes: ${failure.message}`;
    return;
  }
  $("nodes-message").textContent = "";
  const rows = nodes.map((node) => element("tr", { "data-node": node.name },
    element("th", { scope: "row", class: "mono", text: node.name }),
    element("td", { text: String(node.cpus ?? "") }),
    element("td", { text: node.memory_bytes ? size(node.memory_bytes) : "" }),
    element("td", { class: "capacity", text: `${node.running ?? 0} / ${node.capacity ?? "?"}` }),
    element("td", {}, element("time", { datetime: node.registered_at || "", text: when(node.registered_at) }))));
  $("nodes").replaceChildren(...(rows.length ? rows : [emptyRow(5, "No nodes registered.")]));
}

async function main() {
  setupHeader();
  await Promise.allSettled([loadUsers().catch((failure) => {
    if (failure.status !== 401) $("user-error").textContent = `Could not load the users: ${failure.message}`;
  }), loadWorkspaces(), loadNodes()]);
}

main();

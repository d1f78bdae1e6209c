// Berth dashboard: the user's workspaces, live. Plain modern JavaScript, no library.
// Reads and changes go through the public API; one server-sent event stream (/dashboard/events) brings every
// event of the user's workspaces. Phases come straight from the events (no wait for the read model); the rest
// of a row (IDE and port URLs) is re-read from the API, and a re-read older than the newest event seen is not
// allowed to win.

const ACTIVE = new Set(["pending", "preparing", "scheduled", "creating", "initializing", "running", "stopping"]);
const rows = new Map(); // workspace id -> {doc, seen (newest event version applied), element, refresh, busy}
const list = document.getElementById("workspaces");
const listMessage = document.getElementById("list-message");

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function toLogin() {
  // An expired session: log in again, then come back here.
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, { detail: "your session has ended" });
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function phaseOf(doc) {
  return doc.phase || "not started";
}

function buildRow(id) {
  const name = element("div", { class: "name" },
    element("a", { class: "id", href: `/workspaces/${encodeURIComponent(id)}` }), element("span", { class: "context" }));
  const status = element("span", { class: "status", role: "status", "aria-live": "polite" });
  const statusCell = element("div", { class: "status-cell" }, status, element("span", { class: "reason" }));
  const open = element("a", { class: "button primary open", target: "_blank", rel: "noopener", text: "Open IDE" });
  const start = element("button", { type: "button", class: "start", text: "Start" });
  const stop = element("button", { type: "button", class: "stop", text: "Stop" });
  const remove = element("button", { type: "button", class: "danger delete", text: "Delete" });
  const ports = element("ul", { class: "ports", "aria-label": "Ports" });
  const error = element("p", { class: "row-error", role: "alert" });
  const li = element("li", { class: "workspace", "data-id": id }, name, statusCell,
    element("div", { class: "actions" }, open, start, stop, remove), ports, error);
  start.addEventListener("click", () => act(id, "start"));
  stop.addEventListener("click", () => act(id, "stop"));
  remove.addEventListener("click", () => confirmDelete(id));
  return li;
}

function render(id) {
  const row = rows.get(id);
  if (!row) return;
  const { doc, element: li } = row;
  const phase = phaseOf(doc);
  li.querySelector(".id").textContent = doc.id;
  li.querySelector(".id").setAttribute("aria-label", `Details of ${doc.id}`);
  li.querySelector(".context").textContent = doc.context_url || "";
  li.querySelector(".context").title = doc.context_url || "";
  const status = li.querySelector(".status");
  status.textContent = phase;
  status.dataset.phase = phase;
  li.dataset.phase = phase;
  li.querySelector(".reason").textContent = doc.reason || "";
  li.querySelector(".reason").title = doc.reason || "";
  const label = `${doc.id}`;
  const open = li.querySelector(".open");
  open.setAttribute("aria-label", `Open IDE of ${label}`);
  if (phase === "running" && doc.url) {
    open.href = doc.url;
    open.removeAttribute("aria-disabled");
    open.removeAttribute("tabindex");
  } else {
    open.removeAttribute("href");
    open.setAttribute("aria-disabled", "true");
    open.setAttribute("tabindex", "-1");
  }
  const start = li.querySelector(".start");
  const stop = li.querySelector(".stop");
  start.disabled = ACTIVE.has(phase) || row.busy;
  stop.disabled = !ACTIVE.has(phase) || phase === "stopping" || row.busy;
  start.setAttribute("aria-label", `Start ${label}`);
  stop.setAttribute("aria-label", `Stop ${label}`);
  li.querySelector(".delete").setAttribute("aria-label", `Delete ${label}`);
  const ports = li.querySelector(".ports");
  const items = (doc.ports || []).map((port) => {
    const text = `${port.port}${port.name ? ` ${port.name}` : ""} (${port.visibility})`;
    if (phase !== "running" || !port.listening) return element("li", { text: `${text}, not listening` });
    return element("li", {}, element("a", { href: port.url, target: "_blank", rel: "noopener", text }));
  });
  if (items.length === 0) items.push(element("li", { text: "No ports" }));
  ports.replaceChildren(...items);
}

function updateListMessage() {
  listMessage.textContent = rows.size === 0 ? "No workspaces yet: create one from a git URL above." : "";
}

function addRow(doc) {
  if (rows.has(doc.id)) return;
  const row = { doc, seen: doc.version || 0, element: buildRow(doc.id), refresh: null, busy: false };
  rows.set(doc.id, row);
  list.append(row.element);
  render(doc.id);
  updateListMessage();
}

function removeRow(id) {
  const row = rows.get(id);
  if (!row) return;
  clearTimeout(row.refresh);
  row.element.remove();
  rows.delete(id);
  updateListMessage();
  listMessage.textContent ||= `Workspace ${id} was deleted.`;
}

function onEvent(event) {
  const id = event.workspace_id;
  const row = rows.get(id);
  if (!row) {
    if (event.type !== "workspace.deleted") discover(id, event);
    return;
  }
  if (event.version <= row.seen) return; // a replay after a reconnect
  row.seen = event.version;
  if (event.type === "workspace.deleted") {
    removeRow(id);
    return;
  }
  if (event.type === "workspace.instance_requested") {
    row.doc = { ...row.doc, phase: "pending", reason: null };
  } else if (event.type === "workspace.instance_phase_changed") {
    row.doc = { ...row.doc, phase: event.payload.phase, reason: event.payload.reason ?? null };
  }
  render(id);
  scheduleRefresh(id, 100);
}

function scheduleRefresh(id, delay, attempt = 0) {
  const row = rows.get(id);
  if (!row) return;
  clearTimeout(row.refresh);
  row.refresh = setTimeout(() => refresh(id, attempt), delay);
}

async function refresh(id, attempt) {
  let doc;
  try {
    doc = await api("GET", `/api/workspaces/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status === 404) removeRow(id);
    return;
  }
  const row = rows.get(id);
  if (!row) return;
  if ((doc.version || 0) >= row.seen) {
    row.doc = doc;
  } else {
    // The read model has not caught up with the events yet: keep the phase the events told, take the rest,
    // and read again shortly.
    row.doc = { ...doc, phase: row.doc.phase, reason: row.doc.reason };
    if (attempt < 8) scheduleRefresh(id, 250 * (attempt + 1), attempt + 1);
  }
  render(id);
}

const pending = new Map(); // workspace id -> events that came before its row did

async function discover(id, event) {
  // A workspace the page has no row for: created elsewhere (the CLI, another tab) or while the list loaded.
  if (pending.has(id)) {
    pending.get(id).push(event);
    return;
  }
  pending.set(id, [event]);
  try {
    addRow(await api("GET", `/api/workspaces/${encodeURIComponent(id)}`));
  } catch (failure) {
    if (failure.status !== 404) listMessage.textContent = `Could not load ${id}: ${failure.message}`;
  } finally {
    const waiting = pending.get(id) || [];
    pending.delete(id);
    for (const early of waiting) if (rows.has(id)) onEvent(early);
  }
}

let lastPosition = null;
let listLoaded = false;

function follow() {
  const query = lastPosition === null ? "" : `?after=${lastPosition}`;
  const stream = new EventSource(`/dashboard/events${query}`);
  stream.addEventListener("ready", async (message) => {
    lastPosition = Number(message.lastEventId);
    if (!listLoaded) {
      // Only now: whatever happens from here on comes through the stream, the rest is in the list.
      listLoaded = true;
      await loadList();
    }
  });
  stream.addEventListener("workspace", (message) => {
    lastPosition = Number(message.lastEventId);
    onEvent(JSON.parse(message.data));
  });
  stream.addEventListener("error", async () => {
    // EventSource reconnects by itself after network errors; it gives up (CLOSED) on an HTTP error, mostly an
    // ended session (401, which `api` turns into a trip to the login page).
    if (stream.readyState !== EventSource.CLOSED) return;
    try {
      await api("GET", "/api/me");
      setTimeout(follow, 3000);
    } catch {
      // toLogin() is under way, or the gateway is gone: nothing to show live.
    }
  });
}

async function act(id, action) {
  const row = rows.get(id);
  if (!row) return;
  const error = row.element.querySelector(".row-error");
  error.textContent = "";
  row.busy = true;
  render(id);
  try {
    const doc = await api("POST", `/api/workspaces/${encodeURIComponent(id)}/${action}`);
    if ((doc.version || 0) >= row.seen) row.doc = doc;
  } catch (failure) {
    error.textContent = `${action} failed: ${failure.message}`;
  } finally {
    row.busy = false;
    render(id);
  }
}

const dialog = document.getElementById("confirm-delete");

function confirmDelete(id) {
  document.getElementById("confirm-name").textContent = id;
  dialog.returnValue = "";
  dialog.dataset.id = id;
  dialog.showModal();
}

dialog.addEventListener("close", async () => {
  const id = dialog.dataset.id;
  if (dialog.returnValue !== "delete" || !rows.has(id)) {
    rows.get(id)?.element.querySelector(".delete").focus();
    return;
  }
  try {
    await api("DELETE", `/api/workspaces/${encodeURIComponent(id)}`);
    removeRow(id);
  } catch (failure) {
    const row = rows.get(id);
    if (row) row.element.querySelector(".row-error").textContent = `delete failed: ${failure.message}`;
  }
});

const form = document.getElementById("create");
const contextUrl = document.getElementById("context-url");
const createError = document.getElementById("create-error");
const createButton = document.getElementById("create-button");

form.addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  createError.textContent = "";
  contextUrl.removeAttribute("aria-invalid");
  const url = contextUrl.value.trim();
  if (!url) {
    createError.textContent = "Enter the URL of a git repository.";
    contextUrl.setAttribute("aria-invalid", "true");
    contextUrl.focus();
    return;
  }
  createButton.disabled = true;
  try {
    const doc = await api("POST", "/api/workspaces", { context_url: url });
    addRow(doc);
    contextUrl.value = "";
  } catch (failure) {
    createError.textContent = failure.message;
    contextUrl.setAttribute("aria-invalid", "true");
    contextUrl.focus();
  } finally {
    createButton.disabled = false;
  }
});

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await api("POST", "/api/logout");
  } finally {
    location.assign("/login?next=/");
  }
});

let username = null;

async function loadList() {
  try {
    // Admins may list everyone's workspaces; the dashboard shows the user's own (as its stream does).
    const { workspaces } = await api("GET", `/api/workspaces?owner=${encodeURIComponent(username)}`);
    for (const doc of workspaces) addRow(doc);
    updateListMessage();
  } catch (failure) {
    if (failure.status !== 401) listMessage.textContent = `Could not load workspaces: ${failure.message}`;
  }
}

async function start() {
  try {
    username = (await api("GET", "/api/me")).username;
  } catch {
    return; // not logged in any more: on the way to the login page
  }
  document.getElementById("who").textContent = username;
  follow();
}

start();

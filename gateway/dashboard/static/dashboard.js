// Berth dashboard: the user's workspaces, live. Plain modern JavaScript, no library.
// Reads and changes go through the public API; one server-sent event stream (/dashboard/events) brings every
// event of the user's workspaces and of their image builds. Phases come straight from the events (no wait for
// the read model); the rest of a row (IDE and port URLs) is re-read from the API, and a re-read older than the
// newest event seen is not allowed to win. Pinned workspaces come first, then the oldest first.

import { ACTIVE, $, api, confirmDialog, element, setOpenLink, setupHeader } from "./common.js";
import { CreationProgress } from "./progress.js";

const rows = new Map(); // workspace id -> {doc, seen (newest event version applied), element, refresh, busy}
const list = $("workspaces");
const listMessage = $("list-message");
const progress = new CreationProgress();

function phaseOf(doc) {
  return doc.phase || "not started";
}

// Where a row belongs: pinned first, then by creation (as the API lists them).
function orderKey(doc) {
  return `${doc.pinned ? 0 : 1}|${doc.created_at || ""}|${doc.id}`;
}

function buildRow(id) {
  const pin = element("button", { type: "button", class: "pin", "aria-pressed": "false", text: "Pin" });
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
  const li = element("li", { class: "workspace", "data-id": id }, pin, name, statusCell,
    element("div", { class: "actions" }, open, start, stop, remove), ports, error);
  pin.addEventListener("click", () => togglePin(id));
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
  const idLink = li.querySelector(".id");
  idLink.textContent = doc.id;
  idLink.setAttribute("aria-label", `Details of ${doc.id}`);
  li.querySelector(".context").textContent = doc.context_url || "";
  li.querySelector(".context").title = doc.context_url || "";
  const status = li.querySelector(".status");
  status.textContent = phase;
  status.dataset.phase = phase;
  li.dataset.phase = phase;
  li.dataset.pinned = String(Boolean(doc.pinned));
  li.querySelector(".reason").textContent = doc.reason || "";
  li.querySelector(".reason").title = doc.reason || "";
  const pin = li.querySelector(".pin");
  pin.setAttribute("aria-pressed", String(Boolean(doc.pinned)));
  pin.setAttribute("aria-label", `Pin ${doc.id}`);
  pin.textContent = doc.pinned ? "Pinned" : "Pin";
  // Never disabled while the request runs (a disabled button drops the keyboard focus): busy says wait.
  pin.setAttribute("aria-busy", String(row.busy));
  const open = li.querySelector(".open");
  open.setAttribute("aria-label", `Open IDE of ${doc.id}`);
  setOpenLink(open, phase === "running" ? doc.url : null);
  const start = li.querySelector(".start");
  const stop = li.querySelector(".stop");
  start.disabled = ACTIVE.has(phase) || row.busy;
  stop.disabled = !ACTIVE.has(phase) || phase === "stopping" || row.busy;
  start.setAttribute("aria-label", `Start ${doc.id}`);
  stop.setAttribute("aria-label", `Stop ${doc.id}`);
  li.querySelector(".delete").setAttribute("aria-label", `Delete ${doc.id}`);
  const items = (doc.ports || []).map((port) => {
    const text = `${port.port}${port.name ? ` ${port.name}` : ""} (${port.visibility})`;
    if (phase !== "running" || !port.listening) return element("li", { text: `${text}, not listening` });
    return element("li", {}, element("a", { href: port.url, target: "_blank", rel: "noopener", text }));
  });
  if (items.length === 0) items.push(element("li", { text: "No ports" }));
  li.querySelector(".ports").replaceChildren(...items);
  place(row);
}

// Moves the row where its order key says, if it is not there already (a pin moves it to the top).
function place(row) {
  const key = orderKey(row.doc);
  if (row.key === key && row.element.isConnected) return;
  row.key = key;
  let before = null;
  for (const other of list.children) {
    const candidate = rows.get(other.dataset.id);
    if (other !== row.element && candidate && candidate.key > key) {
      before = other;
      break;
    }
  }
  if (before !== row.element.nextElementSibling || !row.element.isConnected) {
    const focused = row.element.contains(document.activeElement) ? document.activeElement : null;
    list.insertBefore(row.element, before);
    focused?.focus(); // moving an element blurs it: the keyboard user stays on the button they pressed
  }
}

function updateListMessage() {
  listMessage.textContent = rows.size === 0 ? "No workspaces yet: create one from a git URL above." : "";
}

function newRow(doc) {
  return { doc, seen: doc.version || 0, element: buildRow(doc.id), refresh: null, busy: false, key: null };
}

function addRow(doc) {
  if (rows.has(doc.id)) return;
  rows.set(doc.id, newRow(doc));
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
  progress.onEvent(event);
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
  } else if (event.type === "workspace.pin_changed") {
    row.doc = { ...row.doc, pinned: Boolean(event.payload.pinned) };
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
    // The read model has not caught up with the events yet: keep what the events told, take the rest, and
    // read again shortly.
    row.doc = { ...doc, phase: row.doc.phase, reason: row.doc.reason, pinned: row.doc.pinned };
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
  stream.addEventListener("build", (message) => {
    lastPosition = Number(message.lastEventId);
    progress.onBuild(JSON.parse(message.data));
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

async function togglePin(id) {
  const row = rows.get(id);
  if (!row || row.busy) return;
  const error = row.element.querySelector(".row-error");
  error.textContent = "";
  row.busy = true;
  render(id);
  try {
    const doc = await api("PUT", `/api/workspaces/${encodeURIComponent(id)}/pinned`, { pinned: !row.doc.pinned });
    row.doc = (doc.version || 0) >= row.seen ? doc : { ...row.doc, pinned: doc.pinned };
  } catch (failure) {
    error.textContent = `pin failed: ${failure.message}`;
  } finally {
    row.busy = false;
    render(id);
  }
}

const deleteDialog = $("confirm-delete");

async function confirmDelete(id) {
  const confirmed = await confirmDialog(deleteDialog, (dialog) => {
    dialog.querySelector(".subject").textContent = id;
  });
  if (!confirmed || !rows.has(id)) return;
  try {
    await api("DELETE", `/api/workspaces/${encodeURIComponent(id)}`);
    removeRow(id);
    $("list-heading").focus(); // the Delete button went with its row: the keyboard user lands on the list
  } catch (failure) {
    const row = rows.get(id);
    if (row) row.element.querySelector(".row-error").textContent = `delete failed: ${failure.message}`;
  }
}

const form = $("create");
const contextUrl = $("context-url");
const createError = $("create-error");
const createButton = $("create-button");

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
  // Shown at once, on the click: the page changes because the user asked, not while they read it.
  progress.begin(url);
  try {
    const doc = await api("POST", "/api/workspaces", { context_url: url });
    progress.track(doc.id);
    addRow(doc);
    contextUrl.value = "";
  } catch (failure) {
    progress.cancel();
    createError.textContent = failure.message;
    contextUrl.setAttribute("aria-invalid", "true");
    contextUrl.focus();
  } finally {
    createButton.disabled = false;
  }
});

let username = null;

// Phases of an instance on its way to running: what the creation panel shows the progress of.
const STARTING = new Set(["pending", "preparing", "scheduled", "creating", "initializing"]);

// The page opened while a start was under way (a reload during the build, another tab, the CLI): the panel
// shows the newest such start from its first step and build line on, as it would have from the click.
function resumeProgress(workspaces) {
  if (!progress.panel.hidden) return; // the user created one meanwhile: that is what the panel shows
  const starting = workspaces.filter((doc) => STARTING.has(doc.phase));
  if (starting.length === 0) return;
  const newest = starting.reduce((a, b) => ((b.created_at || "") > (a.created_at || "") ? b : a));
  progress.resume(newest);
}

async function loadList() {
  try {
    // Admins may list everyone's workspaces; the dashboard shows the user's own (as its stream does).
    const { workspaces } = await api("GET", `/api/workspaces?owner=${encodeURIComponent(username)}`);
    // Built apart from the page and attached at once: one layout for the whole list.
    const fragment = document.createDocumentFragment();
    const fresh = workspaces.filter((doc) => !rows.has(doc.id)).map(newRow);
    fresh.sort((a, b) => (orderKey(a.doc) < orderKey(b.doc) ? -1 : 1));
    for (const row of fresh) {
      rows.set(row.doc.id, row);
      row.key = orderKey(row.doc);
      fragment.append(row.element);
    }
    list.append(fragment);
    for (const row of fresh) render(row.doc.id);
    updateListMessage();
    resumeProgress(workspaces);
  } catch (failure) {
    if (failure.status !== 401) listMessage.textContent = `Could not load workspaces: ${failure.message}`;
  }
}

async function main() {
  setupHeader();
  try {
    username = (await api("GET", "/api/me")).username;
  } catch {
    return; // not logged in any more: on the way to the login page
  }
  follow();
}

main();

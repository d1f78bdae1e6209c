// Berth dashboard: one workspace's page. Status, ports (with their visibility), its tasks with their output
// (tasks.js), and the timeline: every event of the workspace's stream, read from the start and then live from
// GET /api/workspaces/{id}/events.
// `?start=1` (the link on a stopped workspace's IDE page) offers to start it, with a button: nothing is written
// on a GET; once it runs the browser goes back to the IDE (or to the port named by `?port=`).

import { ACTIVE, $, api, element, setOpenLink, setupHeader, size, taskPhase } from "./common.js";
import { TaskOutput } from "./tasks.js";

const EVENT_TYPES = ["created", "instance_requested", "instance_phase_changed", "deleted", "context_resolved",
  "config_resolved", "image_requested", "image_ready", "container_created", "content_initialized",
  "ports_changed", "port_visibility_changed", "task_changed", "activity_recorded", "backup_completed",
  "backup_failed", "pin_changed"].map((name) => `workspace.${name}`);

const workspaceId = document.body.dataset.workspace;
const base = `/api/workspaces/${encodeURIComponent(workspaceId)}`;
const params = new URLSearchParams(location.search);
const wantsStart = params.get("start") === "1";
const backToPort = /^\d{1,5}$/.test(params.get("port") || "") ? Number(params.get("port")) : null;

const state = { doc: null, seen: 0, busy: false, deleted: false, startAsked: false, leaving: false };
const tasks = new TaskOutput(base);

// --- what an event says, in a line a person reads -------------------------------------------------------------

function seconds(value) {
  return value >= 10 ? `${Math.round(value)} s` : `${value.toFixed(1)} s`;
}

function shortCommit(commit) {
  return (commit || "").slice(0, 10);
}

export function describe(event) {
  const p = event.payload || {};
  switch (event.type) {
    case "workspace.created":
      return `created from ${p.context_url}${p.workspace_class && p.workspace_class !== "default" ? ` (${p.workspace_class})` : ""}`;
    case "workspace.instance_requested":
      return "start requested";
    case "workspace.instance_phase_changed":
      return p.reason ? `${p.phase}: ${p.reason}` : p.phase;
    case "workspace.deleted":
      return p.reason ? `deleted: ${p.reason}` : "deleted";
    case "workspace.context_resolved":
      return `context resolved: ${p.ref ? `${p.ref} at ` : ""}${shortCommit(p.commit)}${p.path ? `, ${p.path}` : ""}`;
    case "workspace.config_resolved": {
      const sources = (p.sources || []).length ? (p.sources || []).join(", ") : "defaults";
      const warnings = (p.warnings || []).length;
      return `configuration from ${sources}${warnings ? ` (${warnings} warning${warnings > 1 ? "s" : ""})` : ""}`;
    }
    case "workspace.image_requested":
      return "image requested";
    case "workspace.image_ready":
      return `image ready (${p.cache_hit ? "cached" : "built"})`;
    case "workspace.container_created":
      return `container created on ${p.node}`;
    case "workspace.content_initialized":
      return `content from ${p.source}: ${size(p.bytes || 0)} in ${seconds(p.seconds || 0)}`;
    case "workspace.ports_changed":
      return (p.ports || []).length ? `ports open: ${p.ports.join(", ")}` : "no ports open";
    case "workspace.port_visibility_changed":
      return `port ${p.port} made ${p.visibility}`;
    case "workspace.task_changed": {
      const name = p.name ? `task ${p.index} (${p.name})` : `task ${p.index}`;
      return `${name} ${taskPhase(p.phase)}${p.exit_code !== null && p.exit_code !== undefined ? `, exit code ${p.exit_code}` : ""}`;
    }
    case "workspace.activity_recorded":
      return `activity (${p.source})`;
    case "workspace.backup_completed":
      return `backup ${size(p.bytes || 0)} in ${seconds(p.seconds || 0)}`;
    case "workspace.backup_failed":
      return `backup failed: ${p.reason}`;
    case "workspace.pin_changed":
      return p.pinned ? "pinned" : "unpinned";
    default:
      return event.type.replace(/^workspace\./, "").replaceAll("_", " ");
  }
}

// --- the timeline ----------------------------------------------------------------------------------------------

const timeline = $("timeline");
const timelineBox = $("timeline-box");
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });

function addToTimeline(event) {
  // Kept at the bottom when it was there: a new event scrolls into view inside the box; the page does not move.
  const atBottom = timelineBox.scrollHeight - timelineBox.scrollTop - timelineBox.clientHeight < 8;
  const when = new Date(event.time);
  const li = element("li", { class: "event", "data-type": event.type, "data-version": String(event.version) },
    element("time", { datetime: event.time, title: event.time, text: timeFormat.format(when) }),
    element("span", { class: "actor", title: event.actor || "", text: event.actor || "" }),
    element("span", { class: "what", text: describe(event) }));
  timeline.append(li);
  $("timeline-message").textContent = `${timeline.children.length} events`;
  if (atBottom) timelineBox.scrollTop = timelineBox.scrollHeight;
}

// --- status and ports ------------------------------------------------------------------------------------------

function phaseOf(doc) {
  if (state.deleted) return "deleted";
  return (doc && doc.phase) || "not started";
}

function targetUrl(doc) {
  if (backToPort !== null) {
    const port = (doc.ports || []).find((candidate) => candidate.port === backToPort);
    if (port && port.url) return port.url;
  }
  return doc.url;
}

function render() {
  const doc = state.doc;
  if (!doc) return;
  const phase = phaseOf(doc);
  $("context").textContent = doc.context_url || "";
  const status = $("status");
  status.textContent = phase;
  status.dataset.phase = phase;
  $("reason").textContent = doc.reason || "";
  $("reason").title = doc.reason || "";
  const open = $("open");
  setOpenLink(open, phase === "running" ? doc.url : null);
  $("start").disabled = state.deleted || ACTIVE.has(phase) || state.busy;
  $("stop").disabled = state.deleted || !ACTIVE.has(phase) || phase === "stopping" || state.busy;
  renderStartPanel(phase);
  renderPorts(phase);
  tasks.render(doc, phase);
  if (wantsStart && phase === "running" && state.modelPhase === "running" && !state.leaving) {
    // What the IDE link came for: back to it, once the read model the proxy routes by says it runs.
    state.leaving = true;
    $("start-text").textContent = "It runs: taking you there…";
    location.assign(targetUrl(doc));
  }
}

function renderStartPanel(phase) {
  const panel = $("start-panel");
  panel.hidden = !wantsStart || state.deleted;
  if (panel.hidden) return;
  const confirm = $("start-confirm");
  const text = $("start-text");
  if (state.startAsked || (ACTIVE.has(phase) && phase !== "stopping")) {
    confirm.disabled = true;
    text.textContent = phase === "running" ? "It runs: taking you there…"
      : `Starting (${phase}): you are taken to it once it runs.`;
  } else if (phase === "stopping") {
    confirm.disabled = true;
    text.textContent = "It is still stopping (saving its content): it can be started once it has stopped.";
  } else {
    confirm.disabled = state.busy;
    const reason = state.doc.reason ? ` (${state.doc.reason})` : "";
    text.textContent = `It is ${phase}${reason}. Start it, and you are taken to it once it runs.`;
  }
}

function renderPorts(phase) {
  const items = (state.doc.ports || []).map((port) => {
    const label = `${port.port}${port.name ? ` ${port.name}` : ""}`;
    const link = phase === "running" && port.listening
      ? element("a", { href: port.url, target: "_blank", rel: "noopener", class: "port-url", text: port.url })
      : element("span", { class: "port-url muted", text: port.listening ? port.url : `${port.url} (not listening)` });
    const toggle = element("button", {
      type: "button", class: "visibility", "aria-pressed": String(port.visibility === "public"),
      "aria-label": `Port ${port.port} public`, text: port.visibility,
    });
    toggle.disabled = state.deleted;
    toggle.addEventListener("click", () => setVisibility(port.port, port.visibility === "public" ? "private" : "public"));
    return element("li", { class: "port", "data-port": String(port.port) },
      element("span", { class: "port-number", text: label }), link, toggle);
  });
  if (items.length === 0) items.push(element("li", { class: "muted", text: "No ports" }));
  $("ports").replaceChildren(...items);
}

let refreshTimer = null;

function scheduleRefresh(delay, attempt = 0) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh(attempt), delay);
}

async function refresh(attempt = 0) {
  if (state.deleted) return;
  let doc;
  try {
    doc = await api("GET", base);
  } catch (failure) {
    if (failure.status === 404) {
      state.deleted = true;
      render();
    }
    return;
  }
  state.modelPhase = doc.phase;
  if (!state.doc || (doc.version || 0) >= state.seen) {
    state.doc = doc;
  } else {
    // The read model lags behind the events: keep the phase they told, take the rest, read again shortly.
    state.doc = { ...doc, phase: state.doc.phase, reason: state.doc.reason };
    if (attempt < 8) scheduleRefresh(250 * (attempt + 1), attempt + 1);
  }
  render();
}

function onEvent(event) {
  if (event.version <= state.seen) return; // a replay after a reconnect
  state.seen = event.version;
  addToTimeline(event);
  // The history before the document read at load is in it already: only the timeline shows it.
  if (!state.doc || event.version <= (state.loadedVersion || 0)) return;
  if (event.type === "workspace.instance_requested") {
    state.doc = { ...state.doc, phase: "pending", reason: null };
  } else if (event.type === "workspace.instance_phase_changed") {
    state.doc = { ...state.doc, phase: event.payload.phase, reason: event.payload.reason ?? null };
  } else if (event.type === "workspace.deleted") {
    state.deleted = true;
  }
  render();
  scheduleRefresh(100);
}

function follow() {
  // From the first event on: the stream replays the history, then stays open for what comes.
  const stream = new EventSource(`${base}/events?after=${state.seen}`);
  const handle = (message) => onEvent(JSON.parse(message.data));
  for (const type of EVENT_TYPES) stream.addEventListener(type, handle);
  stream.addEventListener("message", handle); // an event type this page does not know yet
  stream.addEventListener("error", async () => {
    if (stream.readyState !== EventSource.CLOSED) return; // EventSource reconnects by itself
    if (state.deleted) return; // the stream ends with the deletion
    try {
      await api("GET", "/api/me");
      setTimeout(follow, 3000);
    } catch {
      // on the way to the login page
    }
  });
}

async function act(action) {
  $("action-error").textContent = "";
  state.busy = true;
  render();
  try {
    const doc = await api("POST", `${base}/${action}`);
    if ((doc.version || 0) >= state.seen) state.doc = doc;
    scheduleRefresh(500);
    return true;
  } catch (failure) {
    $("action-error").textContent = `${action} failed: ${failure.message}`;
    return false;
  } finally {
    state.busy = false;
    render();
  }
}

async function setVisibility(port, visibility) {
  $("action-error").textContent = "";
  try {
    const shown = await api("PATCH", `${base}/ports/${port}`, { visibility });
    state.doc = { ...state.doc, ports: (state.doc.ports || []).map((p) => (p.port === port ? { ...p, ...shown } : p)) };
    render();
    $("ports").querySelector(`[data-port="${port}"] .visibility`)?.focus();
  } catch (failure) {
    $("action-error").textContent = `port ${port}: ${failure.message}`;
  }
}

$("start").addEventListener("click", () => act("start"));
$("stop").addEventListener("click", () => act("stop"));
$("start-confirm").addEventListener("click", async () => {
  state.startAsked = await act("start");
  render();
});
async function main() {
  setupHeader();
  try {
    state.doc = await api("GET", base);
    state.loadedVersion = state.doc.version || 0;
    state.modelPhase = state.doc.phase;
  } catch (failure) {
    if (failure.status === 404) location.reload(); // the server's 404 page
    return;
  }
  render();
  if (wantsStart && !$("start-confirm").disabled) $("start-confirm").focus();
  follow();
}

main();

// A new workspace's progress, live, in the creation panel: one line per step (resolving the repository, its
// configuration, the image with its build log streaming, the container, the clone, the tasks), the phase it
// is in, and a failure with its reason. Fed by the dashboard's event stream: `workspace` messages (the
// workspace's own events) and `build` messages (its image build's events, which live on the image's stream).
// A start under way when the page opens (a reload, another tab, the CLI) is shown too: its history so far
// first, from /dashboard/history, then the stream (see `resume`).
// The panel's size is fixed (the build log scrolls inside its box), so nothing moves while it fills.

import { $, api, plainText, taskPhase } from "./common.js";

const MAX_LOG = 200_000; // characters of build log kept on screen: the end is what matters
const MAX_EARLY = 200; // events kept per workspace that came before its creation answer did

export class CreationProgress {
  constructor() {
    this.panel = $("progress");
    this.log = $("build-log");
    this.id = null; // the workspace followed, once the API said which it is
    this.early = new Map(); // workspace id -> events seen before `track` (the stream can beat the answer)
    this.instance = null;
    $("progress-close").addEventListener("click", () => {
      this.panel.hidden = true;
      $("context-url").focus();
    });
  }

  begin(url) {
    this.generation = (this.generation || 0) + 1; // a newer begin wins over a resume still loading
    this.id = null;
    this.instance = null;
    this.seen = 0; // newest workspace event version shown
    this.buildSeen = 0; // newest build event position shown
    for (const step of this.panel.querySelectorAll(".step")) {
      step.dataset.state = "waiting";
      step.querySelector(".step-detail").textContent = "";
    }
    $("progress-id").textContent = url;
    $("progress-status").textContent = "requesting…";
    $("progress-error").textContent = "";
    $("progress-open").hidden = true;
    this.log.textContent = "";
    this.log.dataset.empty = "true";
    this.panel.dataset.outcome = "";
    this.panel.hidden = false;
  }

  cancel() {
    this.panel.hidden = true;
  }

  // Follows workspace `id` from here on: first what happened before (`history`, [kind, event] in the order it
  // was stored), then what the stream brought meanwhile; what is in both is shown once (by version/position).
  track(id, history = []) {
    this.id = id;
    $("progress-id").textContent = id;
    const open = $("progress-open");
    open.href = `/workspaces/${encodeURIComponent(id)}`;
    open.hidden = false;
    const early = this.early.get(id) || [];
    this.early.clear();
    for (const [kind, event] of [...history, ...early]) (kind === "build" ? this.onBuild(event) : this.onEvent(event));
  }

  // A start that was under way before this page: the panel opens at once (the stream's events for it are
  // kept meanwhile), is filled with its history (read after the stream said `ready`, so nothing falls
  // between the two), then goes on live.
  async resume(doc) {
    this.begin(doc.context_url || doc.id);
    const generation = this.generation;
    let history;
    try {
      history = await api("GET", `/dashboard/history/${encodeURIComponent(doc.id)}`);
    } catch (failure) {
      if (failure.status !== 401) $("progress-error").textContent = `Could not load the progress: ${failure.message}`;
      history = { workspace: [], build: [] };
    }
    if (generation !== this.generation || this.panel.hidden) return; // a create or a close came first
    // Workspace and build events interleave as they were stored: a build's start after the image was ready
    // would otherwise turn the finished image step back to "building".
    const ordered = [...history.workspace.map((event) => ["workspace", event]),
      ...history.build.map((event) => ["build", event])].sort((a, b) => a[1].position - b[1].position);
    this.track(doc.id, ordered);
  }

  remember(kind, event) {
    if (this.panel.hidden || this.id !== null) return;
    const kept = this.early.get(event.workspace_id) || [];
    if (kept.length < MAX_EARLY) kept.push([kind, event]);
    this.early.set(event.workspace_id, kept);
  }

  step(key, state, detail) {
    const step = this.panel.querySelector(`.step[data-step="${key}"]`);
    if (!step) return;
    // Earlier steps are done once a later one begins (a cached image has no step of its own to finish).
    if (state === "active" || state === "done") {
      for (const before of this.panel.querySelectorAll(".step")) {
        if (before === step) break;
        if (before.dataset.state !== "failed") before.dataset.state = "done";
      }
    }
    step.dataset.state = state;
    if (detail !== undefined) step.querySelector(".step-detail").textContent = detail;
  }

  fail(reason) {
    const active = this.panel.querySelector('.step[data-state="active"]')
      || [...this.panel.querySelectorAll(".step")].find((step) => step.dataset.state === "waiting");
    if (active) active.dataset.state = "failed";
    $("progress-error").textContent = `Failed: ${reason || "no reason given"}`;
    this.panel.dataset.outcome = "failed";
  }

  onEvent(event) {
    if (this.id === null) {
      this.remember("workspace", event);
      return;
    }
    // The same event may come twice (the list replays what came before a row existed): once is enough.
    if (event.workspace_id !== this.id || event.version <= this.seen) return;
    this.seen = event.version;
    const p = event.payload || {};
    switch (event.type) {
      case "workspace.instance_requested":
        this.instance = p.instance_id;
        $("progress-status").textContent = "pending";
        this.step("resolve", "active");
        break;
      case "workspace.instance_phase_changed":
        $("progress-status").textContent = p.reason ? `${p.phase}: ${p.reason}` : p.phase;
        if (p.phase === "scheduled" || p.phase === "creating") this.step("container", "active");
        else if (p.phase === "initializing") this.step("content", "active");
        else if (p.phase === "running") {
          this.step("tasks", "done", this.stepDetail("tasks") || "running");
          this.panel.dataset.outcome = "running";
        } else if (p.phase === "failed") this.fail(p.reason);
        break;
      case "workspace.context_resolved":
        this.step("resolve", "done", `${p.ref ? `${p.ref} at ` : ""}${(p.commit || "").slice(0, 10)}`);
        this.step("config", "active");
        break;
      case "workspace.config_resolved":
        this.step("config", "done", (p.sources || []).length ? p.sources.join(", ") : "no config file: defaults");
        break;
      case "workspace.image_requested":
        this.step("image", "active", "looking for a cached image…");
        break;
      case "workspace.image_ready":
        this.step("image", "done", p.cache_hit ? "cached" : "built");
        if (p.cache_hit && this.log.dataset.empty === "true") this.log.textContent = "No build: the image was ready.";
        break;
      case "workspace.container_created":
        this.step("container", "done", `on ${p.node}`);
        this.step("content", "active");
        break;
      case "workspace.content_initialized":
        this.step("content", "done", `from ${p.source} in ${Number(p.seconds || 0).toFixed(1)} s`);
        this.step("tasks", "active");
        break;
      case "workspace.task_changed":
        this.step("tasks", this.panel.dataset.outcome === "running" ? "done" : "active",
          `task ${p.name || p.index}: ${taskPhase(p.phase)}${p.exit_code !== null && p.exit_code !== undefined ? ` (exit ${p.exit_code})` : ""}`);
        break;
      case "workspace.deleted":
        $("progress-status").textContent = "deleted";
        break;
      default:
        break;
    }
  }

  stepDetail(key) {
    return this.panel.querySelector(`.step[data-step="${key}"] .step-detail`)?.textContent || "";
  }

  onBuild(event) {
    if (this.id === null) {
      this.remember("build", event);
      return;
    }
    if (event.workspace_id !== this.id || (this.instance && event.instance_id !== this.instance)
        || event.position <= this.buildSeen) return;
    this.buildSeen = event.position;
    const p = event.payload || {};
    if (event.type === "image.build_started") {
      this.step("image", "active", "building from the Dockerfile…");
    } else if (event.type === "image.build_log") {
      this.append((p.lines || []).join("\n"));
    } else if (event.type === "image.build_failed") {
      this.append((p.log_tail || []).length && this.log.dataset.empty === "true" ? p.log_tail.join("\n") : "");
      this.step("image", "failed", p.reason);
    } else if (event.type === "image.built") {
      this.step("image", "done", `built in ${Number(p.seconds || 0).toFixed(1)} s`);
    }
  }

  append(text) {
    if (!text) return;
    const box = this.log;
    // Kept at the bottom when the reader was there; left alone when they scrolled up to read.
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    let shown = `${box.dataset.empty === "true" ? "" : `${box.textContent}\n`}${plainText(text)}`;
    if (shown.length > MAX_LOG) shown = shown.slice(shown.length - MAX_LOG);
    box.textContent = shown;
    box.dataset.empty = "false";
    if (atBottom) box.scrollTop = box.scrollHeight;
  }
}

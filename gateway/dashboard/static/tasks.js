// The workspace page's tasks: each task with its state, and the chosen task's output, read-only. The output
// comes from the task's terminal, kept by the workspace's supervisor (scrollback first, then live), over the
// gateway's terminal WebSocket; this page never sends anything on it, so it cannot type into the task.
// Terminal output is shown as plain text (see plainText): no escape sequence reaches the page, and the text is
// only ever set as textContent, so output that looks like HTML stays text.

import { $, element, plainText, taskPhase } from "./common.js";

const MAX_RAW = 400_000; // characters of output kept: a chatty task must not grow the page without end
const RETRY_MS = 2000;

export class TaskOutput {
  constructor(base) {
    this.base = base;
    this.list = $("tasks");
    this.output = $("task-output");
    this.message = $("task-message");
    this.chosen = 0;
    this.shown = ""; // what the list shows now, to redraw only on a change (and keep focus where it is)
    this.socket = null;
    this.target = null; // "instance/index" the socket is for
    this.raw = "";
    this.decoder = null;
    this.drawPending = false;
    this.retry = null;
    this.running = false;
    this.instance = null;
    this.ended = null; // the key of a task whose terminal said it ended: its output is complete
  }

  render(doc, phase) {
    this.doc = doc;
    this.phase = phase;
    const tasks = doc.tasks || [];
    this.running = phase === "running";
    this.instance = doc.instance_id || null;
    if (this.chosen >= tasks.length) this.chosen = 0;
    const shown = JSON.stringify([tasks, this.chosen]);
    if (shown !== this.shown) {
      this.shown = shown;
      this.drawList(tasks);
    }
    if (tasks.length === 0) {
      this.message.textContent = this.running ? "This workspace runs no tasks." : "No tasks yet.";
      this.disconnect();
      return;
    }
    if (!this.running) {
      this.message.textContent = "Task output is read from the running workspace: it is not running now.";
      this.disconnect();
      return;
    }
    this.connect();
  }

  drawList(tasks) {
    const hadFocus = this.list.contains(document.activeElement);
    const items = tasks.map((task, position) => {
      const label = task.name ? `${task.name}` : `Task ${task.index}`;
      const exit = task.exit_code !== null && task.exit_code !== undefined ? `, exit ${task.exit_code}` : "";
      const button = element("button", { type: "button", class: "task", "aria-pressed": String(position === this.chosen),
        "data-index": String(task.index) },
      element("span", { class: "task-name", text: label }),
      element("span", { class: "task-phase", "data-phase": task.phase,
        text: `${taskPhase(task.phase)}${exit}` }));
      button.addEventListener("click", () => this.choose(position));
      return element("li", {}, button);
    });
    this.list.replaceChildren(...items);
    if (hadFocus) this.list.querySelectorAll("button")[this.chosen]?.focus();
  }

  choose(position) {
    if (position === this.chosen) return;
    this.chosen = position;
    this.shown = "";
    this.ended = null;
    this.disconnect();
    this.raw = "";
    this.output.textContent = "";
    this.render(this.doc, this.phase);
    this.list.querySelectorAll("button")[this.chosen]?.focus();
  }

  key() {
    const index = this.list.querySelectorAll("button")[this.chosen]?.dataset.index;
    return index === undefined ? null : `${this.instance}/${index}`;
  }

  connect() {
    const key = this.key();
    if (key === null || this.ended === key || (this.socket && this.target === key) || this.retry) return;
    this.disconnect();
    const index = key.split("/").pop();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${this.base}/terminals/${encodeURIComponent(index)}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.target = key;
    this.raw = "";
    this.decoder = new TextDecoder();
    this.message.textContent = "Connecting to the task's terminal…";
    socket.addEventListener("open", () => {
      if (this.socket === socket) this.message.textContent = "Live output (read-only).";
    });
    socket.addEventListener("message", (message) => {
      if (this.socket !== socket) return;
      if (typeof message.data === "string") {
        try {
          const said = JSON.parse(message.data);
          if ("exit" in said) {
            this.ended = key;
            this.message.textContent = `The task ended with exit code ${said.exit}.`;
          }
        } catch {
          // not a status message: nothing else is sent as text
        }
        return;
      }
      this.add(this.decoder.decode(message.data, { stream: true }));
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.ended !== key) {
        // Not there yet (the supervisor was starting) or a dropped connection: try again while it runs.
        if (this.running) this.message.textContent = "Waiting for the task's terminal…";
        this.retry = setTimeout(() => {
          this.retry = null;
          this.target = null;
          if (this.running) this.connect();
        }, RETRY_MS);
      }
    });
  }

  disconnect() {
    clearTimeout(this.retry);
    this.retry = null;
    const socket = this.socket;
    this.socket = null;
    this.target = null;
    socket?.close();
  }

  add(text) {
    this.raw += text;
    if (this.raw.length > MAX_RAW) this.raw = this.raw.slice(this.raw.length - MAX_RAW);
    if (this.drawPending) return;
    this.drawPending = true;
    // At most one redraw per frame, however many chunks arrive in it.
    requestAnimationFrame(() => {
      this.drawPending = false;
      const box = this.output;
      const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
      box.textContent = plainText(this.raw);
      if (atBottom) box.scrollTop = box.scrollHeight;
    });
  }
}

'use strict';
// One task's terminal in VS Code: a pseudoterminal attached to the supervisor's terminal of that task. What
// the user sees is the supervisor's scrollback and then the live output; what they type and the size of
// the panel go back as frames. Closing it (or reloading the window) only detaches: the task keeps running.

const { StringDecoder } = require('string_decoder');
const { EXIT, STDOUT, FrameReader, exitCode, inputFrame, resizeFrame, toTerminalLineEndings } = require('./frames');

const RETRY_MS = 2000;
const MAX_QUEUED_BYTES = 64 * 1024; // keystrokes kept while (re)attaching; typing more than that is pasting
const CLEAR = '\x1b[2J\x1b[3J\x1b[H'; // a reattach sends the whole scrollback again: start from a clean screen
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const ENDED_PHASES = new Set(['done', 'failed']);

function terminalName(info) {
  return `Task: ${info.name || `task ${info.index}`}`;
}

class TaskPseudoterminal {
  /**
   * `vscode`: the API (passed in so this module loads without it); `supervisor`: see supervisor.js;
   * `info`: the task's terminal as the supervisor lists it; `log`: a function taking a line.
   */
  constructor(vscode, supervisor, info, log) {
    this.supervisor = supervisor;
    this.info = info;
    this.log = log;
    this.writeEmitter = new vscode.EventEmitter();
    this.nameEmitter = new vscode.EventEmitter();
    this.onDidWrite = this.writeEmitter.event;
    this.onDidChangeName = this.nameEmitter.event;
    this.socket = null;
    this.dimensions = undefined;
    this.disposed = false;
    this.ended = false;
    this.attachments = 0;
    this.retry = null;
    this.queued = [];
    this.queuedBytes = 0;
  }

  // -- vscode.Pseudoterminal ------------------------------------------------------------------------

  open(initialDimensions) {
    this.dimensions = initialDimensions;
    this.connect();
  }

  close() {
    // Detach only: no signal, no input; the supervisor keeps the task and its terminal.
    this.disposed = true;
    clearTimeout(this.retry);
    if (this.socket) {
      this.socket.destroy();
      this.socket = null;
    }
    this.writeEmitter.dispose();
    this.nameEmitter.dispose();
  }

  handleInput(data) {
    const frame = inputFrame(data);
    if (this.socket && !this.socket.destroyed) {
      this.socket.write(frame);
    } else if (!this.ended && this.queuedBytes + frame.length <= MAX_QUEUED_BYTES) {
      // Typed before the attachment is up (VS Code opens the terminal first): sent once it is.
      this.queued.push(frame);
      this.queuedBytes += frame.length;
    }
  }

  setDimensions(dimensions) {
    this.dimensions = dimensions;
    this.sendSize();
  }

  // -- the attachment -------------------------------------------------------------------------------

  send(bytes) {
    if (this.socket && !this.socket.destroyed) {
      this.socket.write(bytes);
    }
  }

  sendSize() {
    if (this.dimensions) {
      this.send(resizeFrame(this.dimensions.rows, this.dimensions.columns));
    }
  }

  write(text) {
    if (!this.disposed) {
      this.writeEmitter.fire(text);
    }
  }

  note(text) {
    this.write(`\r\n${DIM}[Berth] ${text}${RESET}\r\n`);
  }

  async connect() {
    let attached;
    try {
      attached = await this.supervisor.attach(this.info.index);
    } catch (error) {
      if (this.disposed) {
        return;
      }
      this.log(`task ${this.info.index}: cannot attach (${error.message}); retrying`);
      if (error.status === 404) {
        this.note('this task is no longer in the workspace');
        return;
      }
      this.retry = setTimeout(() => this.connect(), RETRY_MS);
      return;
    }
    const { socket, head } = attached;
    if (this.disposed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.attachments += 1;
    const again = this.attachments > 1;
    let first = true;
    const frames = new FrameReader();
    const decoder = new StringDecoder('utf8');
    const receive = (chunk) => {
      for (const { kind, payload } of frames.push(chunk)) {
        if (kind === STDOUT) {
          const text = toTerminalLineEndings(decoder.write(payload));
          this.write(first && again ? CLEAR + text : text);
          first = false;
        } else if (kind === EXIT) {
          this.finish(exitCode(payload));
        }
      }
    };
    socket.on('data', receive);
    socket.on('error', (error) => this.log(`task ${this.info.index}: ${error.message}`));
    socket.on('close', () => this.detached(socket));
    this.sendSize();
    for (const frame of this.queued.splice(0)) {
      socket.write(frame);
    }
    this.queuedBytes = 0;
    if (head && head.length) {
      receive(head);
    }
  }

  finish(code) {
    this.ended = true;
    this.note(code === null ? 'the task ended' : `the task ended with exit code ${code}`);
    this.nameEmitter.fire(`${terminalName(this.info)} (ended)`);
  }

  async detached(socket) {
    if (this.socket === socket) {
      this.socket = null;
    }
    if (this.disposed || this.ended) {
      return;
    }
    // Closed without an EXIT: the task never started and the workspace stopped, or the supervisor dropped
    // this client (it fell behind, or the supervisor restarts). Attach again unless the task is over.
    let phase = null;
    try {
      const listed = await this.supervisor.listTerminals();
      const info = listed.find((terminal) => terminal.index === this.info.index);
      phase = info ? info.phase : 'gone';
    } catch (error) {
      this.log(`task ${this.info.index}: listing the terminals failed (${error.message})`);
    }
    if (this.disposed) {
      return;
    }
    if (phase !== null && (ENDED_PHASES.has(phase) || phase === 'gone')) {
      this.finish(null);
      return;
    }
    this.retry = setTimeout(() => this.connect(), RETRY_MS);
  }
}

module.exports = { TaskPseudoterminal, terminalName };

'use strict';
// The supervisor's frames on an attached terminal (supervisor/exec.py, supervisor/terminals.py):
//   type: 1 byte | length: 4 bytes, big-endian | payload: length bytes
// Pure (no vscode, no sockets), so `node --test ide_extension/test` checks it on its own.

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const RESIZE = 3;
const SIGNAL = 4;
const EXIT = 5;
const HEADER_BYTES = 5;
const MAX_ROWS_COLS = 10000; // the supervisor refuses larger sizes

function frame(kind, payload = Buffer.alloc(0)) {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(kind, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

function inputFrame(text) {
  return frame(STDIN, Buffer.from(text, 'utf8'));
}

function clampSize(value) {
  return Math.min(Math.max(Math.floor(value) || 1, 1), MAX_ROWS_COLS);
}

function resizeFrame(rows, cols) {
  const payload = Buffer.alloc(4);
  payload.writeUInt16BE(clampSize(rows), 0);
  payload.writeUInt16BE(clampSize(cols), 2);
  return frame(RESIZE, payload);
}

/** Cuts a byte stream into frames; a frame split across chunks waits for the rest. */
class FrameReader {
  constructor() {
    this.pending = Buffer.alloc(0);
  }

  /** The frames completed by `chunk`, as {kind, payload}. */
  push(chunk) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames = [];
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < HEADER_BYTES + length) {
        break;
      }
      frames.push({
        kind: this.pending.readUInt8(0),
        payload: this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length),
      });
      this.pending = this.pending.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
}

/** The task's exit code from an EXIT payload (i32, big-endian), or null for a malformed one. */
function exitCode(payload) {
  return payload.length === 4 ? payload.readInt32BE(0) : null;
}

/**
 * Output as VS Code's pseudoterminal wants it. The supervisor keeps "\n" as the task wrote it (its terminals
 * have ONLCR off, so the task logs stay plain text), and a pseudoterminal's output needs "\r\n" to start a new
 * line at its first column. A "\r" ending one chunk and the "\n" starting the next become "\r\r\n": the same
 * on screen.
 */
function toTerminalLineEndings(text) {
  return text.replace(/\r?\n/g, '\r\n');
}

module.exports = {
  STDIN,
  STDOUT,
  STDERR,
  RESIZE,
  SIGNAL,
  EXIT,
  FrameReader,
  frame,
  inputFrame,
  resizeFrame,
  exitCode,
  toTerminalLineEndings,
};

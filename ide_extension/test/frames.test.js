'use strict';
// node --test ide_extension/test (run by tests/unit/ide_extension/test_frames_js.py)

const assert = require('node:assert/strict');
const test = require('node:test');
const frames = require('../src/frames');

test('frames carry a type, a big-endian length and the payload', () => {
  assert.deepEqual([...frames.inputFrame('ab')], [0, 0, 0, 0, 2, 97, 98]);
  assert.deepEqual([...frames.resizeFrame(40, 300)], [3, 0, 0, 0, 4, 0, 40, 1, 44]);
  assert.deepEqual([...frames.frame(frames.STDIN)], [0, 0, 0, 0, 0]);
});

test('sizes stay within what the supervisor takes', () => {
  assert.deepEqual([...frames.resizeFrame(0, 20000).subarray(5)], [0, 1, 0x27, 0x10]);
});

test('the reader reassembles frames split across chunks', () => {
  const reader = new frames.FrameReader();
  const stream = Buffer.concat([frames.frame(frames.STDOUT, Buffer.from('hello')),
    frames.frame(frames.EXIT, Buffer.from([0, 0, 0, 3]))]);
  const seen = [];
  for (const byte of stream) {
    seen.push(...reader.push(Buffer.from([byte])));
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[0].kind, frames.STDOUT);
  assert.equal(seen[0].payload.toString(), 'hello');
  assert.equal(seen[1].kind, frames.EXIT);
  assert.equal(frames.exitCode(seen[1].payload), 3);
  assert.equal(frames.exitCode(Buffer.from([0xff, 0xff, 0xff, 0xff])), -1);
  assert.equal(frames.exitCode(Buffer.alloc(0)), null);
});

test('several frames in one chunk', () => {
  const reader = new frames.FrameReader();
  const chunk = Buffer.concat([frames.frame(frames.STDOUT, Buffer.from('a')), frames.frame(frames.STDOUT),
    frames.frame(frames.STDOUT, Buffer.from('b')).subarray(0, 3)]);
  assert.deepEqual(reader.push(chunk).map((f) => f.payload.toString()), ['a', '']);
  assert.deepEqual(reader.push(Buffer.from([0, 1, 98])).map((f) => f.payload.toString()), ['b']);
});

test('line feeds become CRLF, existing CRLFs stay as they are', () => {
  assert.equal(frames.toTerminalLineEndings('a\nb\r\nc\n\n'), 'a\r\nb\r\nc\r\n\r\n');
  assert.equal(frames.toTerminalLineEndings('no newline'), 'no newline');
});

'use strict';
// node --test ide_extension/test: which terminals the window opens as the supervisor's list changes (the
// supervisor here is a stub list; tests/integration/ide_extension attaches to a real supervisor).

const assert = require('node:assert/strict');
const test = require('node:test');
const { fakeVscode } = require('./fakeVscode');
const { TaskTerminals } = require('../src/taskTerminals');

function setup(lists) {
  const vscode = fakeVscode();
  const lines = [];
  const supervisor = {
    calls: 0,
    async listTerminals() {
      const next = lists[Math.min(this.calls, lists.length - 1)];
      this.calls += 1;
      if (next instanceof Error) {
        throw next;
      }
      return next;
    },
    attach: () => new Promise(() => {}), // never answers: these tests look at the terminals only
  };
  const terminals = new TaskTerminals(vscode, supervisor, { appendLine: (line) => lines.push(line) });
  return { vscode, terminals, lines };
}

const build = { index: 0, name: 'build', phase: 'command' };
const serve = { index: 1, name: null, phase: 'pending' };

test('one terminal per task, named after it; the first one is shown', async () => {
  const { vscode, terminals } = setup([[build, serve]]);
  await terminals.sync(false);
  assert.deepEqual(vscode.created.map((t) => t.options.name), ['Task: build', 'Task: task 1']);
  assert.ok(vscode.created.every((t) => t.options.isTransient && t.options.pty));
  assert.deepEqual(vscode.created.map((t) => t.shown), [1, 0]);
});

test("a terminal the user has open stays the active one: the tasks' are only added", async () => {
  const { vscode, terminals } = setup([[build, serve]]);
  vscode.window.activeTerminal = { name: 'bash' };
  await terminals.sync(false);
  assert.equal(vscode.created.length, 2);
  assert.deepEqual(vscode.created.map((t) => t.shown), [0, 0]);
});

test('a task that appears later gets its terminal; the others are not opened twice', async () => {
  const { vscode, terminals } = setup([[build], [build, serve], [build, serve]]);
  await terminals.sync(false);
  await terminals.sync(false);
  await terminals.sync(false);
  assert.deepEqual(vscode.created.map((t) => t.options.name), ['Task: build', 'Task: task 1']);
});

test('a terminal the user closed stays closed, until asked for again', async () => {
  const { vscode, terminals } = setup([[build]]);
  await terminals.sync(false);
  vscode.created[0].exitStatus = { code: undefined };
  await terminals.sync(false);
  assert.equal(vscode.created.length, 1);
  await terminals.sync(true);
  assert.equal(vscode.created.length, 2);
  assert.equal(vscode.created[0].disposed, true);
});

test('a supervisor that does not answer is reported once, and the next answer is used', async () => {
  const { vscode, terminals, lines } = setup([new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), [build]]);
  await terminals.sync(false);
  await terminals.sync(false);
  assert.equal(lines.filter((line) => line.includes('ECONNREFUSED')).length, 1);
  await terminals.sync(false);
  assert.equal(vscode.created.length, 1);
});

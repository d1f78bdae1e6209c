'use strict';
// Berth's own VS Code extension, installed by the supervisor into every workspace's code-server: it opens
// one terminal per task of the workspace ("Task: <name>"), attached to the task's terminal in the
// supervisor, like Gitpod's task terminals. It polls the supervisor's terminal list, so tasks that appear
// later get their terminal too. Only Node's built-ins and the vscode API: it ships as a .vsix built by
// node_agent/ide_extension.py, with no npm install anywhere.

const vscode = require('vscode');
const { supervisorFromEnvironment } = require('./supervisor');
const { TaskTerminals } = require('./taskTerminals');

const POLL_MS = 2000;

function activate(context) {
  const output = vscode.window.createOutputChannel('Berth Tasks');
  context.subscriptions.push(output);
  const supervisor = supervisorFromEnvironment(process.env);
  if (supervisor === null) {
    output.appendLine('BERTH_SUPERVISOR_PORT is not set: not in a Berth workspace, no task terminals');
    return;
  }
  const terminals = new TaskTerminals(vscode, supervisor, output);
  context.subscriptions.push(vscode.commands.registerCommand('berth.openTaskTerminals', () => terminals.sync(true)));
  // VS Code runs no terminal, ours included, in a folder not trusted yet: it asks first, and a "no" ends them.
  // Once the folder is trusted, they open again.
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => terminals.sync(true)));
  terminals.sync(false);
  const timer = setInterval(() => terminals.sync(false), POLL_MS);
  context.subscriptions.push({ dispose: () => clearInterval(timer) });
}

function deactivate() {}

module.exports = { activate, deactivate };

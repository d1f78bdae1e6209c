'use strict';
// The extension's task terminals under plain Node, against the supervisor named by BERTH_SUPERVISOR_PORT
// (and BERTH_SUPERVISOR_TOKEN), as the extension host would run them; only the vscode API is the fake of
// ide_extension/test/fakeVscode.js. Driven by test_task_terminals.py over stdin/stdout, one JSON per line:
//   stdout  {"event": "opened", "terminal": i, "name"} | {"event": "output", "terminal": i, "text"} |
//           {"event": "renamed", "terminal": i, "name"}
//   stdin   {"input": i, "text"} | {"resize": i, "rows", "cols"} | {"close": i} | {"sync": true}

const path = require('path');
const readline = require('readline');

const root = path.resolve(__dirname, '..', '..', '..', 'ide_extension');
const { fakeVscode } = require(path.join(root, 'test', 'fakeVscode'));
const { supervisorFromEnvironment } = require(path.join(root, 'src', 'supervisor'));
const { TaskTerminals } = require(path.join(root, 'src', 'taskTerminals'));

function say(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const vscode = fakeVscode({ rows: 30, columns: 100 });
const createTerminal = vscode.window.createTerminal;
vscode.window.createTerminal = (options) => {
  const index = vscode.created.length;
  // Listen before VS Code would open the pseudoterminal: nothing it writes may be missed.
  options.pty.onDidWrite((text) => say({ event: 'output', terminal: index, text }));
  options.pty.onDidChangeName((name) => say({ event: 'renamed', terminal: index, name }));
  say({ event: 'opened', terminal: index, name: options.name });
  return createTerminal(options);
};

const supervisor = supervisorFromEnvironment(process.env);
if (supervisor === null) {
  console.error('BERTH_SUPERVISOR_PORT is not set');
  process.exit(2);
}
const terminals = new TaskTerminals(vscode, supervisor, { appendLine: (line) => console.error(line) });
terminals.sync(false);
const timer = setInterval(() => terminals.sync(false), 500);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  if ('input' in command) {
    vscode.created[command.input].options.pty.handleInput(command.text);
  } else if ('resize' in command) {
    vscode.created[command.resize].options.pty.setDimensions({ rows: command.rows, columns: command.cols });
  } else if ('close' in command) {
    vscode.created[command.close].options.pty.close();
  }
}).on('close', () => {
  clearInterval(timer);
  for (const terminal of vscode.created) {
    terminal.options.pty.close();
  }
});

'use strict';
// The window's task terminals: which of the supervisor's terminals this window shows, kept in step with the
// supervisor's list (a task that appears later gets its terminal at the next look).

const { TaskPseudoterminal, terminalName } = require('./taskTerminal');

class TaskTerminals {
  constructor(vscode, supervisor, output) {
    this.vscode = vscode;
    this.supervisor = supervisor;
    this.output = output;
    // `<index>:<name>` → the VS Code terminal this window opened for it. A terminal the user closes stays
    // here, so it is not opened again behind their back (the command opens it again on request).
    this.opened = new Map();
    this.syncing = false;
    this.shown = false;
    this.lastError = null;
  }

  log(line) {
    this.output.appendLine(line);
  }

  key(info) {
    return `${info.index}:${info.name || ''}`;
  }

  async sync(reopenClosed) {
    if (this.syncing) {
      return;
    }
    this.syncing = true;
    try {
      let listed;
      try {
        listed = await this.supervisor.listTerminals();
      } catch (error) {
        if (this.lastError !== error.message) {
          this.log(`listing the workspace's task terminals failed: ${error.message}`);
          this.lastError = error.message;
        }
        return;
      }
      this.lastError = null;
      for (const info of listed) {
        const existing = this.opened.get(this.key(info));
        if (existing && (!reopenClosed || existing.exitStatus === undefined)) {
          continue;
        }
        this.open(info);
      }
    } finally {
      this.syncing = false;
    }
  }

  open(info) {
    const previous = this.opened.get(this.key(info));
    if (previous) {
      previous.dispose(); // ended (closed, or refused for want of trust): replaced, not doubled
    }
    const activeBefore = this.vscode.window.activeTerminal;
    const pty = new TaskPseudoterminal(this.vscode, this.supervisor, info, (line) => this.log(line));
    const terminal = this.vscode.window.createTerminal({
      name: terminalName(info),
      pty,
      iconPath: new this.vscode.ThemeIcon('tools'),
      // Not restored by VS Code after a reload: this extension opens it again, attached afresh.
      isTransient: true,
    });
    this.opened.set(this.key(info), terminal);
    this.log(`opened ${terminalName(info)} (terminal ${info.index}, phase ${info.phase})`);
    if (!this.shown) {
      // The panel shows the first task's terminal, the editor keeps the focus; unless the user has a terminal
      // already: theirs stays the one they type into.
      this.shown = true;
      if (activeBefore === undefined) {
        terminal.show(true);
      }
    }
  }
}

module.exports = { TaskTerminals };

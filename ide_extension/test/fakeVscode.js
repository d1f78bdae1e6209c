'use strict';
// The few parts of the vscode API the extension's modules use, for running them under plain Node (the
// real API exists only inside VS Code's extension host; the browser test covers that). Named a fake: it
// records the terminals asked for and opens their pseudoterminals as VS Code would.

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener) => {
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
  }

  fire(value) {
    for (const listener of [...this.listeners]) {
      listener(value);
    }
  }

  dispose() {
    this.listeners.clear();
  }
}

class ThemeIcon {
  constructor(id) {
    this.id = id;
  }
}

/** `dimensions`: what VS Code would pass to each pseudoterminal's open(); null: do not open them. */
function fakeVscode(dimensions = null) {
  const created = [];
  return {
    EventEmitter,
    ThemeIcon,
    created,
    window: {
      createTerminal(options) {
        const terminal = {
          options,
          shown: 0,
          disposed: false,
          exitStatus: undefined,
          show() {
            this.shown += 1;
          },
          dispose() {
            this.disposed = true;
            options.pty.close();
          },
        };
        created.push(terminal);
        if (dimensions !== null) {
          options.pty.open(dimensions);
        }
        return terminal;
      },
    },
  };
}

module.exports = { EventEmitter, fakeVscode };

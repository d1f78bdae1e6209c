"""Task phases with Gitpod's semantics, as pure logic (no processes): which steps a start runs, the
script that runs them in one shell, and how a task's phase moves.

Gitpod runs a task's steps in *one* shell, joined with `&&`, so what `before` exports is seen by
`init` and `command`, and a failing step stops the ones after it. Berth does the same. To know
which step the shell is in, the script writes the next phase's name to a private pipe (fd 3)
before each step; the steps themselves run with fd 3 closed, so neither they nor the servers they
leave running can write to it (or keep it open).

    fresh start (new content):   before → init → command
    restart (from a backup):     before → command          (init already ran for this content)
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

from supervisor.config import StartMode, TaskConfig

Phase = Literal["pending", "before", "init", "command", "done", "failed"]
StepPhase = Literal["before", "init", "command"]
STEP_PHASES: tuple[StepPhase, ...] = ("before", "init", "command")
SETTLED: frozenset[Phase] = frozenset({"command", "done", "failed"})
"""Phases after which a task no longer holds back readiness: it serves (`command`) or has ended."""

MARKER_FD = 3
_STEPS: dict[str, StepPhase] = {phase: phase for phase in STEP_PHASES}


def steps(task: TaskConfig, mode: StartMode) -> list[tuple[StepPhase, str]]:
    """The steps a start runs, in order; empty and blank scripts are no steps."""
    scripts: dict[StepPhase, str | None] = {"before": task.before, "init": task.init, "command": task.command}
    wanted = STEP_PHASES if mode == "fresh" else ("before", "command")
    return [(phase, script) for phase in wanted if (script := scripts[phase]) is not None and script.strip()]


def compose_script(plan: list[tuple[StepPhase, str]], marker_fd: int, path: str | None = None) -> str:
    """One bash script running the steps with `&&`, announcing each phase on fd 3.

    `marker_fd` is the pipe's number in the child (Popen keeps inherited fds at their number); it is
    moved to fd 3 first so the phase lines below do not depend on it.

    `path` is the PATH the task was started with. A login shell's profile may replace PATH (Debian's
    /etc/profile does), which would lose directories the image's `ENV PATH` or the config added; the
    ones it dropped are appended again, after the profile's own, which keep their precedence.
    """
    lines = [] if marker_fd == MARKER_FD else [f"exec {MARKER_FD}>&{marker_fd} {marker_fd}>&-"]
    if path:
        lines += [
            f"IFS=: read -r -a __berth_dirs <<< {shlex.quote(path)}",
            'for __berth_dir in "${__berth_dirs[@]}"; do',
            '  case ":$PATH:" in *":$__berth_dir:"*) ;; *) PATH="${PATH:+$PATH:}$__berth_dir" ;; esac',
            "done",
            "export PATH; unset __berth_dirs __berth_dir",
        ]
    chain = [
        # The newline before "}" ends a trailing comment in the user's script, as in Gitpod's "{\n%s\n}".
        f"printf '%s\\n' {phase} >&{MARKER_FD} && {{\n{script}\n}} {MARKER_FD}>&-"
        for phase, script in plan
    ]
    return "\n".join([*lines, " && ".join(chain)]) + "\n"


@dataclass
class TaskState:
    """Where one task is. Phases only move forward; `exit_code` is set once it ended."""

    index: int
    name: str | None
    plan: tuple[StepPhase, ...] = ()
    phase: Phase = "pending"
    exit_code: int | None = None
    ended_in: Phase | None = None
    """The phase the task was in when it ended (e.g. `init` for a failed init)."""
    stopped: bool = False
    """Ended by the shutdown rather than by itself."""
    error: str | None = None
    """Why it could not start at all (no bash, no such directory)."""

    @property
    def ended(self) -> bool:
        return self.phase in ("done", "failed")

    @property
    def settled(self) -> bool:
        return self.phase in SETTLED

    def begin(self, plan: list[tuple[StepPhase, str]]) -> None:
        self.plan = tuple(phase for phase, _ in plan)
        if self.plan:
            self.phase = self.plan[0]

    def advance(self, announced: str) -> bool:
        """The shell announced a phase; True when that moved the task (stale or unknown lines do not)."""
        step = _STEPS.get(announced)
        if self.ended or step is None or step not in self.plan:
            return False
        if self.phase in self.plan and self.plan.index(step) <= self.plan.index(self.phase):
            return False
        self.phase = step
        return True

    def finish(self, exit_code: int | None, *, stopped: bool = False, error: str | None = None) -> None:
        if self.ended:
            return
        self.ended_in = self.phase
        self.exit_code = exit_code
        self.stopped = stopped
        self.error = error
        # Ended by the shutdown is the expected end, not a failure of the task.
        # A task with no step to run ends with no exit code and no error: done.
        self.phase = "done" if stopped or (exit_code in (0, None) and error is None) else "failed"

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "name": self.name,
            "phase": self.phase,
            "exit_code": self.exit_code,
            "ended_in": self.ended_in,
            "stopped": self.stopped,
            "error": self.error,
        }


def ready(tasks: list[TaskState]) -> bool:
    return all(task.settled for task in tasks)

"""Task phase logic: which steps a start runs, how a task's phase moves, when the workspace is ready."""

from __future__ import annotations

import pytest

from supervisor.config import TaskConfig
from supervisor.phases import MARKER_FD, TaskState, compose_script, ready, steps

TASK = TaskConfig(name="dev", before="export X=1", init="npm ci", command="npm run dev")


def test_a_fresh_start_runs_before_init_command() -> None:
    assert steps(TASK, "fresh") == [("before", "export X=1"), ("init", "npm ci"), ("command", "npm run dev")]


def test_a_restart_skips_init() -> None:
    assert steps(TASK, "restart") == [("before", "export X=1"), ("command", "npm run dev")]


def test_missing_and_blank_steps_are_no_steps() -> None:
    assert steps(TaskConfig(init="make", command="  \n"), "fresh") == [("init", "make")]
    assert steps(TaskConfig(init="make"), "restart") == []
    assert steps(TaskConfig(name="empty"), "fresh") == []


def test_the_script_chains_steps_and_announces_each_on_fd_3() -> None:
    script = compose_script([("before", "a # trailing comment"), ("command", "b")], marker_fd=MARKER_FD)
    assert script == (
        "printf '%s\\n' before >&3 && {\na # trailing comment\n} 3>&- && printf '%s\\n' command >&3 && {\nb\n} 3>&-\n"
    )


def test_the_script_moves_another_pipe_to_fd_3_and_restores_dropped_path_entries() -> None:
    script = compose_script([("init", "make")], marker_fd=7, path="/opt/tool bin:/usr/bin")
    lines = script.splitlines()
    assert lines[0] == "exec 3>&7 7>&-"
    assert lines[1] == "IFS=: read -r -a __berth_dirs <<< '/opt/tool bin:/usr/bin'"
    assert lines[-3:] == ["printf '%s\\n' init >&3 && {", "make", "} 3>&-"]


def test_phases_move_forward_only() -> None:
    assert TaskState(index=0, name="dev").phase == "pending"
    state = TaskState(index=0, name="dev")
    state.begin(steps(TASK, "fresh"))
    assert phase_of(state) == "before"
    assert not state.advance("before")  # the marker of the phase it is already in
    assert state.advance("command")  # init may be announced late; the newest phase wins
    assert not state.advance("init")
    assert not state.advance("bogus")
    assert phase_of(state) == "command"


def phase_of(state: TaskState) -> str:
    """The phase, read through a call: mypy would otherwise keep the value narrowed by the last assert."""
    return state.phase


def test_restart_plan_never_enters_init() -> None:
    state = TaskState(index=0, name=None)
    state.begin(steps(TASK, "restart"))
    assert not state.advance("init")
    assert state.phase == "before"


@pytest.mark.parametrize(
    ("code", "stopped", "error", "phase"),
    [
        (0, False, None, "done"),
        (3, False, None, "failed"),
        (143, True, None, "done"),  # ended by the shutdown: stopped, not failed
        (None, False, "cannot start bash", "failed"),
        (None, False, None, "done"),  # nothing to run
    ],
)
def test_the_end_of_a_task(code: int | None, stopped: bool, error: str | None, phase: str) -> None:
    state = TaskState(index=1, name="t")
    state.begin([("init", "x")])
    state.finish(code, stopped=stopped, error=error)
    assert (state.phase, state.exit_code, state.ended_in, state.stopped, state.error) == (
        phase,
        code,
        "init",
        stopped,
        error,
    )
    assert state.ended and state.settled
    state.finish(0)  # an end is final
    assert state.phase == phase
    assert not state.advance("init")


def test_ready_once_every_task_serves_or_ended() -> None:
    serving, initializing, failed = TaskState(0, "a"), TaskState(1, "b"), TaskState(2, "c")
    for state in (serving, initializing, failed):
        state.begin(steps(TASK, "fresh"))
    serving.advance("command")
    initializing.advance("init")
    failed.finish(1)
    assert not ready([serving, initializing, failed])
    initializing.advance("command")
    assert ready([serving, initializing, failed])
    assert ready([])
    assert not ready([TaskState(3, "pending")])


def test_status_json() -> None:
    state = TaskState(index=2, name="web")
    state.begin([("command", "serve")])
    assert state.as_json() == {
        "index": 2,
        "name": "web",
        "phase": "command",
        "exit_code": None,
        "ended_in": None,
        "stopped": False,
        "error": None,
    }

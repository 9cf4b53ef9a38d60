"""registry.progress: a bar on a terminal, nothing in a pipe, step timings either way."""

from __future__ import annotations

import io

from registry.progress import Progress, quiet


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_are_timed_and_nothing_is_drawn_when_quiet():
    progress = quiet()
    with progress.step("copy"):
        pass
    with progress.step("copy"):
        pass
    with progress.step("bake"):
        pass
    assert list(progress.timings) == ["copy", "bake"]
    assert all(t >= 0 for t in progress.timings.values())


def test_a_pipe_gets_no_bar():
    pipe = io.StringIO()
    with Progress("publishing", 2, file=pipe) as progress:
        with progress.step("copy"):
            pass
    assert pipe.getvalue() == ""


def test_a_terminal_sees_the_label_the_running_step_and_the_end():
    term = _Terminal()
    with Progress("publishing", 2, file=term) as progress:
        with progress.step("copy"):
            pass
        with progress.step("case_summary"):
            pass
    shown = term.getvalue()
    assert "publishing" in shown and "case_summary" in shown and "100%" in shown

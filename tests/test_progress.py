"""registry.core.progress: a bar on a terminal, nothing in a pipe, step timings either way."""

from __future__ import annotations

import io

from registry.core.progress import Progress, quiet


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


def test_long_commands_take_quiet_and_draw_nothing_into_a_pipe(sqlite_engine, sqlite_url, tmp_path):
    from tests.helpers import SEED_DIR, run_cli

    imported = run_cli(sqlite_url, "import", "--quiet", *map(str, sorted(SEED_DIR.glob("*.yaml"))))
    assert imported.exit_code == 0, imported.output
    assert "importing" not in imported.output
    exported = run_cli(sqlite_url, "export", "--quiet", "--out", str(tmp_path / "x"))
    assert exported.exit_code == 0, exported.output
    assert "exporting" not in exported.output and (tmp_path / "x" / "case_summary.csv").exists()
    synth = run_cli(sqlite_url, "synth", "--cases", "3", "--quiet")
    assert synth.exit_code == 0, synth.output
    assert "loading" not in synth.output

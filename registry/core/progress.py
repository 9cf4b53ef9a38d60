"""Progress of long commands: a bar on a terminal, silence in a pipe, step timings always.

A publish or import of 100,000 cases runs for a minute or more; on a
terminal the reader sees which step is running and how far the command
has got. Piped into a file or a CI log, or with --quiet, nothing is drawn.
Every step's wall time is kept in `timings`, so callers (and the bench)
can report where the time went without a profiler.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import click


class Progress:
    """A known number of named steps; `with progress.step("name"):` runs one."""

    def __init__(self, label: str, steps: int, *, enabled: bool | None = None, file: IO[str] | None = None) -> None:
        self.file = file or sys.stderr
        self.enabled = self.file.isatty() if enabled is None else enabled
        self.timings: dict[str, float] = {}
        self._bar = None
        if self.enabled:
            self._bar = click.progressbar(
                length=steps, label=label, file=self.file, show_eta=False, show_percent=True,
                item_show_func=lambda item: item,
            )
            self._bar.__enter__()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._bar is not None:
            # update(0) would not redraw (click draws after whole steps): show the running step now.
            self._bar.current_item = name
            self._bar.render_progress()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
            if self._bar is not None:
                self._bar.update(1, name)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def quiet() -> Progress:
    """Steps that are timed but never drawn (library calls, tests)."""
    return Progress("", 0, enabled=False)

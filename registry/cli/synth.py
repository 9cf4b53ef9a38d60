"""`dress-registry synth`: a deterministic synthetic registry for benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.base import engine_from
from registry.core.db import writing
from registry.core.progress import Progress
from registry.core.sync import SyncStats
from registry.ingest.synth import load_raw, synth_batches, synth_raw, write_documents
from registry.schema.migrate import require_head


@click.command("synth")
@click.option("--cases", "n_cases", type=click.IntRange(min=1), required=True, help="Number of synthetic cases.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Random seed (same seed, same data).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write seed documents to FILE (.jsonl, .json or .yaml) instead of loading them into the database.")
@click.option("--batch", type=click.IntRange(min=1), default=20000, show_default=True,
              help="Cases validated and loaded per batch (all batches in one transaction).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (none is drawn when stderr is not a terminal anyway).")
@click.pass_context
def synth(ctx: click.Context, n_cases: int, seed: int, out: Path | None, batch: int, quiet: bool) -> None:
    """Make a deterministic synthetic registry (article_type synthetic) for benchmarks.

    Without --out the documents are validated and loaded into the database
    in one transaction (added or updated, never pruned). Synthetic data are
    flagged is_synthetic and left out of a publish unless allowed.
    """
    if out is not None:
        n = write_documents(synth_raw(n_cases, seed), out)
        click.echo(f"wrote {n} synthetic publications ({n_cases} cases, seed {seed}) to {out}")
        return
    engine = engine_from(ctx)
    require_head(engine)
    total = SyncStats()
    n_docs = n_done = 0
    n_batches = -(-n_cases // batch)
    with writing(engine) as conn, Progress("loading synthetic cases", n_batches, enabled=False if quiet else None) as progress:
        for raws in synth_batches(n_cases, seed, batch):
            n_here = sum(len(raw["cases"]) for _, raw in raws)
            with progress.step(f"cases {n_done + 1:,}-{n_done + n_here:,}"):
                total.merge(load_raw(conn, raws))
            n_docs += len(raws)
            n_done += n_here
    click.echo(f"loaded {n_docs} synthetic publications ({n_cases} cases, seed {seed}): {total.summary()}")


COMMANDS = (synth,)

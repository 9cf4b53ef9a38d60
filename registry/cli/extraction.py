"""`dress-registry new-case`, `compare` and `adjudicate`: extraction templates and dual extraction.

new-case writes a seed-format skeleton for one patient (registry/cases/
template.py); compare lists the differences between two curators'
independent extractions of one publication and their agreement
(registry/cases/compare.py); adjudicate writes the curated file from the two
and the adjudicator's decisions (registry/cases/adjudicate.py), which
`seed` or `import` then load with its extraction report.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from registry.cases.adjudicate import adjudicate as adjudicate_documents
from registry.cases.adjudicate import parse_decisions
from registry.cases.compare import Comparison, compare as compare_documents
from registry.cases.compare import extractors, format_comparison
from registry.cases.documents import Document, cross_check, parse_document, read_yaml, source_pubs
from registry.cases.placeholder import UNFILLED
from registry.cases.seedformat import dump_yaml, publication_dict
from registry.cases.seedschema import SeedDocument
from registry.cases.template import next_case_key, skeleton, skeleton_yaml
from registry.cli.base import engine_from
from registry.core.errors import RegistryError
from registry.schema.migrate import require_head
from registry.schema.models.tables import P

CURATOR_ENV = "REGISTRY_CURATOR"


def _write(path: Path | None, text: str, what: str) -> None:
    if path is None:
        click.echo(text, nl=False)
        return
    if path.exists():
        raise RegistryError(f"{path}: already exists; choose another --out or remove it")
    try:
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot write: {exc.strerror}") from None
    click.echo(f"wrote {what} to {path}", err=True)


@click.command("new-case")
@click.argument("publication", metavar="PUBLICATION")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (must not exist); default: standard output.")
@click.option("--curator", metavar="NAME", envvar=CURATOR_ENV, default=None,
              help=f"Your name, written as the file's extractor (default ${CURATOR_ENV}; else left {UNFILLED}).")
@click.option("--case", "case_key", metavar="KEY", default=None,
              help="Key of the new case; default: the publication key and the next free number (park2021-2).")
@click.pass_context
def new_case(ctx: click.Context, publication: str, out: Path | None, curator: str | None, case_key: str | None) -> None:
    """Write a seed-format skeleton for one new patient of PUBLICATION (its key), every key fact still to extract."""
    engine = engine_from(ctx)
    require_head(engine)
    with engine.connect() as conn:
        row = conn.execute(select(P).where(P.c.key == publication)).mappings().one_or_none()
        pub = publication_dict(conn, dict(row)) if row is not None else None
        key = case_key or next_case_key(conn, publication)
    doc, comments = skeleton(publication, key, pub, curator)
    text = skeleton_yaml(doc, comments)
    _write(out, text, f"the skeleton of case {key}" + ("" if pub else f" (and of publication {publication}, not registered)"))


def _read(path: Path) -> SeedDocument:
    return parse_document(str(path), read_yaml(path))


def _compared(path_a: Path, path_b: Path) -> tuple[SeedDocument, SeedDocument, Comparison]:
    a, b = _read(path_a), _read(path_b)
    name_a, name_b = extractors(a, b, str(path_a), str(path_b))
    return a, b, compare_documents(a, b, name_a, name_b)


def decisions_template(c: Comparison) -> str:
    """A decisions file listing every difference, to fill in and give to `adjudicate`."""
    lines = [
        f"# Decisions for the dual extraction of {c.publication}: A by {c.extractor_a}, B by {c.extractor_b}.",
        f"# For each difference: keep a or b (or the curator's name) and say why; replace every {UNFILLED}.",
        f"adjudicator: {UNFILLED}",
        "decisions:",
    ]
    for d in c.differences:
        lines.append(f"  # A: {d.a if d.a is not None else '(none)'}  |  B: {d.b if d.b is not None else '(none)'}")
        entry = {"record": d.record, "field": d.field, "aspect": str(d.aspect), "keep": UNFILLED, "reason": UNFILLED}
        lines.append("  - " + json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"


@click.command("compare")
@click.argument("a", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("b", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "json_out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the comparison as JSON to this file.")
@click.option("--decisions-template", "template_out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write a decisions file listing every difference, for `adjudicate`.")
def compare(a: Path, b: Path, json_out: Path | None, template_out: Path | None) -> None:
    """List every field where two extractions of one publication differ, and their agreement per field kind."""
    _, _, comparison = _compared(a, b)
    click.echo(format_comparison(comparison))
    if json_out is not None:
        _write(json_out, json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False) + "\n", "the comparison")
    if template_out is not None:
        _write(template_out, decisions_template(comparison), f"{len(comparison.differences)} decision(s) to make")


@click.command("adjudicate")
@click.argument("a", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("b", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--decisions", "decisions_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="YAML: adjudicator, adjudicated_on (default today) and, per difference, keep a or b with the reason.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The curated seed file to write (must not exist).")
def adjudicate(a: Path, b: Path, decisions_path: Path, out: Path) -> None:
    """Write the curated file from two extractions and the decisions; overruled values stay as non-curated evidence."""
    doc_a, doc_b, comparison = _compared(a, b)
    raw = read_yaml(decisions_path)
    decisions = parse_decisions(str(decisions_path), raw)
    curated = adjudicate_documents(doc_a, doc_b, comparison, decisions, str(decisions_path), date.today())
    # The same checks as seed and import: a curated file that would not load is never written.
    checked = parse_document(str(out), curated)
    known = {p for d in (doc_a, doc_b) for c in d.cases for p in source_pubs(c)}
    known |= {ln.pub for d in (doc_a, doc_b) for c in d.cases for ln in c.links}
    known |= {c.pub for d in (doc_a, doc_b) for c in d.cites}
    cross_check([Document(str(out), checked)], known_publications=known)
    head = (f"# {comparison.publication}: curated from the extractions of {comparison.extractor_a} and "
            f"{comparison.extractor_b}, adjudicated by {decisions.adjudicator} (`dress-registry adjudicate`).\n")
    _write(out, head + dump_yaml(curated), f"the curated file ({len(comparison.differences)} difference(s) adjudicated)")


COMMANDS = (new_case, compare, adjudicate)

"""The field dictionary (registry.schema.fields): every leaf table's columns are declared once, in its model.

The first tests walk the dictionary and check that each consumer (seed schema,
loader, YAML writer, export table, codebook, flat CSV) takes exactly the
model's fields. The last one proves the promise that a new column on a leaf
table needs nothing but the model (and, in real life, a migration): in a fresh
interpreter it adds a column to lab_results before the registry's consumers are
imported, builds a database from the models, loads a seed document that uses
the new field, and finds it validated, stored, exported to CSV and YAML, and
defined in the codebook.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import CheckConstraint

from registry.cases import seedschema
from registry.cases.csvformat import FLAT_CSV_LEAVES_OUT, IMPORT_COLUMNS
from registry.ingest import seed as loader
from registry.outputs.export.codebook import codebook_entries
from registry.outputs.export.tables import TABLES_BY_NAME
from registry.schema.fields import fact_names, is_structure, record_fields
from registry.schema.models.tables import CH, DR, INV, LAB, ST, TR, F, O, X
from tests.helpers import ROOT

#: Leaf table -> (seed record model, loader's field tuple, export table name).
LEAVES = {
    X: (seedschema.Exposure, loader._EXPOSURE_FIELDS, "exposures"),
    DR: (seedschema.Dose, loader._DOSE_FIELDS, "dose_regimens"),
    CH: (seedschema.Challenge, loader._CHALLENGE_FIELDS, "challenge_events"),
    ST: (seedschema.Step, loader._STEP_FIELDS, "challenge_steps"),
    F: (seedschema.FindingIn, loader._FINDING_FIELDS, "findings"),
    INV: (seedschema.InvestigationIn, loader._INVESTIGATION_FIELDS, "investigations"),
    LAB: (seedschema.Lab, loader._LAB_FIELDS, "lab_results"),
    TR: (seedschema.TreatmentIn, loader._TREATMENT_FIELDS, "treatments"),
    O: (seedschema.Outcome, loader._OUTCOME_FIELDS, "outcomes"),
}
#: What a seed record holds besides its table's fields: evidence, reasons for gaps, nested records.
NOT_COLUMNS = {"src", "missing", "doses", "challenges", "steps"}

leaf = pytest.mark.parametrize("table", list(LEAVES), ids=lambda t: t.name)


@leaf
def test_every_column_is_a_field_or_structure(table):
    fields = {f.column.name for f in record_fields(table)}
    for column in table.columns:
        assert (column.name in fields) != is_structure(column), column.name
        assert column.comment, f"{table.name}.{column.name} has no definition (comment)"


@leaf
def test_the_seed_record_has_exactly_the_tables_fields_in_column_order(table):
    model = LEAVES[table][0]
    assert [n for n in model.model_fields if n not in NOT_COLUMNS] == [f.name for f in record_fields(table)]
    for f in record_fields(table):
        assert model.model_fields[f.name].is_required() == f.required, f.name


@leaf
def test_the_loader_writes_every_fact_column(table):
    assert LEAVES[table][1] == fact_names(table)


@leaf
def test_the_export_table_and_codebook_carry_every_field(table):
    export = TABLES_BY_NAME[LEAVES[table][2]]
    exported = {c.name: c for c in export.columns}
    documented = {(e.table, e.column) for e in codebook_entries()}
    for f in record_fields(table):
        assert any(exported[f.name].doc is c for c in (f.column, f.value_column)), f.name
        assert (export.name, f.name) in documented, f.name


def test_the_flat_csv_takes_every_fact_it_does_not_leave_out():
    by_part = {"exposure": X, "dose": DR, "outcome": O}
    for part, table in by_part.items():
        wanted = [n for n in fact_names(table) if n not in FLAT_CSV_LEAVES_OUT[table.name]]
        assert [c.field for c in IMPORT_COLUMNS if c.part == part and c.field != "drug"] == wanted


@leaf
def test_every_bound_is_enforced_by_a_check_constraint(table):
    checks = " | ".join(str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint))
    for f in record_fields(table):
        b = f.bounds
        if not b:
            continue
        name = f.column.name
        if "ge" in b and "le" in b:
            assert f"{name} BETWEEN {b['ge']} AND {b['le']}" in checks, name
        elif "ge" in b:
            assert re.search(rf"\b{name} >= {b['ge']}\b", checks), name
        elif "gt" in b:
            assert re.search(rf"\b{name} > {b['gt']}\b", checks), name


_NEW_COLUMN = textwrap.dedent('''
    import sys, tempfile, yaml
    from pathlib import Path
    from sqlalchemy import Column, Text, text
    import registry.schema.models
    from registry.schema.models.tables import LAB

    # The whole change: one column in the model.
    LAB.append_column(Column("specimen", Text, comment="Specimen the value was measured in (e.g. serum, urine)."))

    from registry.cases.documents import Document, parse_document, read_yaml
    from registry.core.db import make_engine, metadata, writing
    from registry.ingest.seed import load_documents
    from registry.outputs.export.folder import write_export
    from registry.schema.migrate import head_revision
    from registry.schema.vocabulary_sync import sync_vocabularies

    work = Path(tempfile.mkdtemp())
    raw = read_yaml(Path(sys.argv[1]))
    raw["cases"][0]["labs"][0]["specimen"] = "serum"
    engine = make_engine(f"sqlite:///{work / 'registry.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        sync_vocabularies(conn)
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head_revision()})
    bad = dict(raw, cases=[dict(raw["cases"][0], labs=[dict(raw["cases"][0]["labs"][0], specimen="")])])
    try:
        parse_document("bad.yaml", bad)
        raise SystemExit("an empty specimen was accepted")
    except Exception as exc:
        assert "specimen" in str(exc), exc
    with writing(engine) as conn:
        load_documents(conn, [Document("fixture.yaml", parse_document("fixture.yaml", raw))])
        assert conn.execute(text("select specimen from lab_results where specimen is not null")).all() == [("serum",)]
    write_export(engine, work / "csv")
    header, first = (work / "csv" / "lab_results.csv").read_text().splitlines()[:2]
    assert "specimen" in header.split(",") and first.endswith(",serum") or ",serum," in first, (header, first)
    assert "lab_results,specimen," in (work / "csv" / "codebook.csv").read_text()
    write_export(engine, work / "yaml", fmt="yaml")
    docs = [yaml.safe_load(p.read_text()) for p in (work / "yaml").rglob("*.yaml")]
    assert any(lab.get("specimen") == "serum" for d in docs for c in d.get("cases", []) for lab in c.get("labs", [])), docs
    print("specimen: validated, loaded, exported, documented")
''')


def test_a_new_lab_column_needs_only_the_model():
    proc = subprocess.run([sys.executable, "-c", _NEW_COLUMN, str(ROOT / "tests" / "data" / "export_fixture.yaml")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "specimen: validated, loaded, exported, documented" in proc.stdout

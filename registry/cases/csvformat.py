"""The flat case CSV's columns: one list, read by the importer (registry.ingest.csvimport) and the codebook.

Each column names the part of the seed document it fills and the model
column whose comment defines it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column as SAColumn

from registry.cases.seedschema import CaseIn
from registry.schema.fields import fact_names
from registry.schema.models.tables import DR, C, D, E, O, P, X
from registry.schema.vocabulary import VOCABULARIES, EvidenceStatus


@dataclass(frozen=True)
class ImportColumn:
    name: str
    #: Which part of the document: publication, case, exposure, dose, outcome, src.
    part: str
    #: Field of that part in the seed format.
    field: str
    #: Model column whose comment defines it (codebook), when there is one.
    doc: SAColumn | None
    note: str = ""
    required: bool = False

    @property
    def vocabulary(self) -> str | None:
        if self.part == "case" and self.field == "unstated":
            return "evidence_status"
        for fk in self.doc.foreign_keys if self.doc is not None else ():
            name = fk.column.table.name
            if name.startswith("vocab_"):
                return name.removeprefix("vocab_")
        return None

    def allowed(self) -> str:
        """Allowed values, for error messages."""
        if self.vocabulary is None:
            return ""
        codes = [c for c in VOCABULARIES[self.vocabulary].codes if not (self.field == "unstated" and c == EvidenceStatus.STATED)]
        return ", ".join(codes)

    @property
    def definition(self) -> str:
        base = self.doc.comment if self.doc is not None else ""
        if self.part == "case" and self.field == "unstated":
            base = CaseIn.model_fields["unstated"].description or ""
        return " ".join(x for x in (base, self.note) if x)


#: Fields of the suspect's exposure, its dose row and the outcome that a one-line case does not carry (the
#: seed format holds them); every other fact column of those tables is a CSV column, in column order.
FLAT_CSV_LEAVES_OUT = {
    X.name: {"role", "notes"},  # the drug is always the suspect
    # one dose row, for the whole exposure (its days, and whether they are approximate, are the exposure's)
    DR.name: {"start_day", "stop_day", "start_is_approximate", "stop_is_approximate", "reason", "notes"},
    O.name: {"resolution_day", "follow_up_days", "notes"},
}
EXPOSURE_NOTES = {"start_day": "Of the suspect drug. Default: 1.", "stop_day": "Of the suspect drug."}


def _pub(name: str, field_: str | None = None, **kw: Any) -> ImportColumn:
    return ImportColumn(name, "publication", field_ or name, P.c[field_ or name], **kw)


IMPORT_COLUMNS: tuple[ImportColumn, ...] = (
    _pub("publication_key", "key", required=True, note="An existing key adds the case to that publication."),
    _pub("authors", note="Required for a publication not yet in the registry."),
    _pub("title", note="Required for a publication not yet in the registry."),
    _pub("title_english"),
    _pub("journal", note="Required for a publication not yet in the registry."),
    _pub("year", note="Required for a publication not yet in the registry."),
    _pub("volume"), _pub("issue"), _pub("pages"), _pub("doi"), _pub("pmid"), _pub("pmcid"), _pub("language"),
    _pub("url"),
    _pub("article_type", note="Required for a publication not yet in the registry."),
    _pub("source_access", note="Required for a publication not yet in the registry."),
    ImportColumn("case_key", "case", "key", C.c.case_key, required=True,
                 note="Must be new: the flat CSV adds cases, it never overwrites one."),
    ImportColumn("label_in_source", "case", "label_in_source", C.c.label_in_source),
    ImportColumn("unstated", "case", "unstated", None, note="Default: not_reported."),
    *(ImportColumn(n, "case", n, C.c[n]) for n in (
        "age_value", "age_unit", "age_is_approximate", "sex", "country", "diagnosis_as_reported", "registry_diagnosis",
    )),
    ImportColumn("day1_anchor", "case", "day1_anchor", C.c.day1_anchor, note="Default: 'first dose of <drug> (day 1)'."),
    ImportColumn("onset_day", "case", "onset_day", C.c.onset_day, note="Not before the drug's start_day."),
    ImportColumn("onset_is_approximate", "case", "onset_is_approximate", C.c.onset_is_approximate),
    ImportColumn("summary", "case", "summary", C.c.summary),
    ImportColumn("drug", "exposure", "drug", D.c.name, required=True,
                 note="The suspect drug of the case (stored lower case; a brand or salt name as its INN)."),
    *(ImportColumn(n, "exposure", n, X.c[n], note=EXPOSURE_NOTES.get(n, ""))
      for n in fact_names(X) if n not in FLAT_CSV_LEAVES_OUT[X.name]),
    *(ImportColumn(n, "dose", n, DR.c[n], note="Of the suspect drug's (single) dose row.")
      for n in fact_names(DR) if n not in FLAT_CSV_LEAVES_OUT[DR.name]),
    *(ImportColumn(n, "outcome", n, O.c[n]) for n in fact_names(O) if n not in FLAT_CSV_LEAVES_OUT[O.name]),
    ImportColumn("source_locator", "src", "at", E.c.locator, required=True,
                 note="Cited as the source of every fact in the row (the case's publication)."),
)
COLUMNS_BY_NAME = {c.name: c for c in IMPORT_COLUMNS}
REQUIRED_HEADER = tuple(c.name for c in IMPORT_COLUMNS if c.required)
BY_PART_FIELD = {(c.part, c.field): c.name for c in IMPORT_COLUMNS}
PUBLICATION_COLUMNS = tuple(c.name for c in IMPORT_COLUMNS if c.part == "publication")

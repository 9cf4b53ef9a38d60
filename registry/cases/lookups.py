"""Readable names for the codes and ids in a snapshot: labels, drug names, citations.

The baked tables are meant to be read without joins (and exported to CSV),
so they carry labels next to codes; every label comes from here.
"""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import quote

from registry.cases.snapshot import Row, Snapshot, group_by, index_by
from registry.schema.vocabulary import SUSPECT_ROLES, VOCABULARIES, CaseLinkRole, TimeUnit

_INITIALS = re.compile(r"^[A-Z]{1,3}$")


def first_author_surname(authors: str | None) -> str | None:
    """'Park S, Kim J' -> 'Park'; 'van der Berg AB, ...' -> 'van der Berg'; 'Park et al.' -> 'Park'."""
    if not authors:
        return None
    first = authors.split(",")[0].strip()
    first = re.sub(r"\bet al\.?$", "", first).strip()
    words = first.split()
    if len(words) > 1 and _INITIALS.match(words[-1]):
        words = words[:-1]
    return " ".join(words) or None


#: What a citation shows for a year that could not be read ("no date", as reference styles write it).
NO_DATE = "n.d."


#: Words of the title a citation without authors starts with (reference styles put the title first).
TITLE_WORDS = 4


def title_opening(title: str | None) -> str | None:
    """The title's first words in quotes, as a citation of a work without authors names it:
    'Imatinib-induced DRESS in a patient with CML' -> '"Imatinib-induced DRESS in a…"'."""
    words = (title or "").split()
    if not words:
        return None
    return f'"{" ".join(words[:TITLE_WORDS])}{"…" if len(words) > TITLE_WORDS else ""}"'


def short_citation(pub: Row) -> str:
    """'First author year, journal', e.g. 'Park 2021, Case Rep Oncol'; a year that could not be read is
    'n.d.' and a journal that could not be read is left out ('Tester n.d.'). Authors that could not be read
    give way to the title's opening words, as reference styles cite an anonymous work ('"A case of…" 2021, J')."""
    who = first_author_surname(pub.get("authors")) or title_opening(pub.get("title")) or pub.get("key") or "?"
    year = pub.get("year") if pub.get("year") is not None else NO_DATE
    return f"{who} {year}" + (f", {pub['journal']}" if pub.get("journal") else "")


def doi_url(doi: str | None) -> str | None:
    return f"https://doi.org/{quote(doi, safe='/:;()._-')}" if doi else None


def pubmed_url(pmid: int | None) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/" if pmid else None


def label(vocab: str, code: str | None) -> str | None:
    if code is None:
        return None
    return VOCABULARIES[vocab].label(code) or code


def fmt_number(value: float | None) -> str | None:
    """400.0 -> '400', 37.5 -> '37.5'."""
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


class Lookups:
    """Indexes over one snapshot, built once per publish."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    @cached_property
    def drugs(self) -> dict[int, Row]:
        return index_by(self.snap["drugs"], "id")

    @cached_property
    def publications(self) -> dict[int, Row]:
        return index_by(self.snap["publications"], "id")

    @cached_property
    def cases(self) -> dict[int, Row]:
        return index_by(self.snap["cases"], "id")

    @cached_property
    def exposures_by_case(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["drug_exposures"], key=lambda r: r["seq"]), "case_id")

    @cached_property
    def doses_by_exposure(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["dose_regimens"], key=lambda r: r["seq"]), "exposure_id")

    @cached_property
    def challenges_by_exposure(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["challenge_events"], key=lambda r: r["seq"]), "exposure_id")

    @cached_property
    def steps_by_challenge(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["challenge_steps"], key=lambda r: r["step_number"]), "challenge_id")

    @cached_property
    def treatments_by_case(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["treatments"], key=lambda r: r["seq"]), "case_id")

    @cached_property
    def procedures_by_case(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["procedures"], key=lambda r: r["seq"]), "case_id")

    @cached_property
    def labs_by_case(self) -> dict[int, list[Row]]:
        return group_by(sorted(self.snap["lab_results"], key=lambda r: r["seq"]), "case_id")

    @cached_property
    def findings_by_case(self) -> dict[int, list[Row]]:
        return group_by(self.snap["findings"], "case_id")

    @cached_property
    def outcomes(self) -> dict[int, Row]:
        return index_by(self.snap["case_outcomes"], "case_id")

    @cached_property
    def assessments_by_case(self) -> dict[int, list[Row]]:
        return group_by(self.snap["assessments"], "case_id")

    @cached_property
    def links_by_case(self) -> dict[int, list[Row]]:
        return group_by(self.snap["case_publications"], "case_id")

    def drug_name(self, drug_id: int | None) -> str | None:
        return self.drugs[drug_id]["name"] if drug_id in self.drugs else None

    def citation(self, publication_id: int | None) -> str | None:
        pub = self.publications.get(publication_id)
        return short_citation(pub) if pub else None

    def primary_publication(self, case_id: int) -> Row | None:
        """The primary report of a case; else the first linked publication."""
        links = sorted(
            self.links_by_case.get(case_id, []),
            key=lambda l: (l["role"] != CaseLinkRole.PRIMARY_REPORT, l["publication_id"]),
        )
        return self.publications.get(links[0]["publication_id"]) if links else None

    def suspect_exposures(self, case_id: int) -> list[Row]:
        """Suspect, co-suspect and interacting exposures, the suspect ones first."""
        exposures = [e for e in self.exposures_by_case.get(case_id, []) if e["role"] in SUSPECT_ROLES]
        return sorted(exposures, key=lambda e: (SUSPECT_ROLES.index(e["role"]), e["seq"]))

    def dose_text(self, dose: Row) -> str:
        """'400 mg every 1 d', '200 mg', or 'dose not known'."""
        if dose.get("dose_value") is None:
            return "dose not known"
        text = f"{fmt_number(dose['dose_value'])} {label('dose_unit', dose['dose_unit']) or ''}".strip()
        if dose.get("interval_value") is not None:
            every = fmt_number(dose["interval_value"])
            unit = label("time_unit", dose.get("interval_unit")) or ""
            text += " daily" if (every, dose.get("interval_unit")) == ("1", TimeUnit.DAYS) else f" every {every} {unit}"
        return text

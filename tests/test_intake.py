"""Intake of search exports: the three formats, duplicates across files and against the seed, bad files.

The files under tests/data/intake/ are written by hand (see its README.md): 12 records, three of them
repeats of another file's record (by DOI, by PMID, by title only) and three naming seeded publications
(zgolli2019 by PMID, park2021 by DOI, lenouail2006 by title + year + first author). Database tests run on
SQLite and PostgreSQL, on a copy of the seeded registry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.cases.documents import read_documents
from registry.core.db import writing
from registry.ingest import searchfiles
from registry.ingest.searchfiles import normalise_doi, read_search_file, surname_of, title_key
from registry.ingest.seed import load_documents
from tests.helpers import BACKENDS, SEED_DIR, dump, run_cli, url_of
from tests.helpers import query_rows as q

DATA = Path(__file__).parent / "data" / "intake"
PUBMED, EMBASE, SCOPUS = DATA / "pubmed.nbib", DATA / "embase.ris", DATA / "scopus.bib"


def seed(engine) -> None:
    with writing(engine) as conn:
        load_documents(conn, read_documents(sorted(SEED_DIR.glob("*.yaml"))))


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_template(request, db_templates):
    return db_templates.module_template(request, seed)


@pytest.fixture
def registry(seeded_template, clone_database):
    """This test's own copy of the seeded registry."""
    return clone_database(seeded_template)


def take_in(engine, *args: str):
    result = run_cli(url_of(engine), "intake", *args)
    assert result.exit_code == 0, result.output
    return result.output


def take_in_all(engine) -> None:
    take_in(engine, str(PUBMED), "--source", "PubMed", "--searched-on", "2026-11-20")
    take_in(engine, str(EMBASE), "--searched-on", "2026-11-21")  # the RIS file names its database (DB  - Embase)
    take_in(engine, str(SCOPUS), "--source", "Scopus")


# -- the readers, without a database ------------------------------------------------------------


def test_medline_reader():
    records = read_search_file(PUBMED).records
    assert [(r.pmid, r.doi, r.first_author, r.year) for r in records] == [
        (30706827, "10.2174/1574886314666190130150243", "Zgolli", 2019),
        (90000001, "10.5555/dress.0001", "Abara", 2024),
        (90000002, "10.5555/dress.0002", "Bianchi", 2023),
        (90000003, None, "Smith", 2022),
        (90000004, "10.5555/dress.0004", "Chen", 2021),
    ]
    # continuation lines are joined; the journal is the NLM abbreviation
    assert records[0].title == "Drug Rash with Eosinophilia and Systemic Symptoms (DRESS) Syndrome Induced by Imatinib."
    assert (records[0].journal, records[0].volume, records[0].issue, records[0].pages) == ("Curr Drug Saf", "14", "2", "151-154")
    assert records[1].authors == ("Abara N", "Moreau L")


def test_ris_reader():
    sf = read_search_file(EMBASE)
    assert sf.file_format == "ris"
    first = sf.records[0]
    assert (first.doi_as_given, first.doi, first.pages, first.database, first.source_record_id) == (
        "https://doi.org/10.1159/000519471", "10.1159/000519471", "1548-1554", "Embase", "2014600001")
    assert first.pmid is None  # an accession number of Embase is not a PMID
    assert sf.records[1].doi == "10.5555/dress.0002"  # 'DOI: 10.5555/DRESS.0002'
    assert [r.first_author for r in sf.records] == ["Park", "Bianchi", "Smith", "Dupont"]


def test_bibtex_reader_with_byte_order_mark():
    sf = read_search_file(SCOPUS)
    assert SCOPUS.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [(r.source_record_id, r.first_author, r.year, r.pmid) for r in sf.records] == [
        ("LeNouail2006", "Le Nouail", 2006, None), ("Abara2024", "Abara", 2024, 90000001), ("Okafor2019", "Okafor", 2019, None)]
    assert sf.records[0].journal == "Annales de Dermatologie et de Vénéréologie"  # LaTeX accents decoded
    assert sf.records[2].authors == ("Okafor, Chidi", "Müller, Anna")


def test_ris_with_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.ris"
    path.write_bytes(b"\xef\xbb\xbf" + EMBASE.read_bytes())
    assert len(read_search_file(path).records) == 4


def test_ris_from_pubmed_gives_its_pmid_and_a_txt_file_may_be_ris(tmp_path):
    path = tmp_path / "pubmed-export.txt"
    path.write_text("TY  - JOUR\nTI  - A title\nAU  - Smith, J.\nPY  - 2020\nAN  - 90000009\nDB  - PubMed\nER  - \n", encoding="utf-8")
    sf = read_search_file(path)
    assert sf.file_format == "ris"
    assert (sf.records[0].pmid, sf.records[0].source_record_id, sf.records[0].database) == (90000009, "90000009", "PubMed")


@pytest.mark.parametrize(("raw", "doi"), [
    ("10.1159/000519471", "10.1159/000519471"),
    ("https://doi.org/10.1159/000519471", "10.1159/000519471"),
    ("http://dx.doi.org/10.1159/000519471.", "10.1159/000519471"),
    ("DOI: 10.5555/DRESS.0002", "10.5555/dress.0002"),
    ("10.2174/1574886314666190130150243 [doi]", "10.2174/1574886314666190130150243"),
    ("  ", None),
])
def test_doi_normalised(raw, doi):
    assert normalise_doi(raw) == doi


def test_title_key_ignores_case_punctuation_accents_and_brackets():
    assert title_key("[Drug reaction with eosinophilia (DRESS) following imatinib therapy].", 2006, "Le Nouail") == \
        title_key("DRUG REACTION WITH EOSINOPHILIA - DRESS - FOLLOWING IMATINIB THERAPY", 2006, "le nouail")
    assert title_key("Réaction", 2006, "Zaïem") == "reaction|2006|zaiem"
    assert title_key("Same title", 2006, "Smith") != title_key("Same title", 2007, "Smith")
    # letters of any script are kept: two titles in Japanese do not fold to the same empty key
    assert title_key("薬剤性過敏症症候群", 2020, None) != title_key("中毒性表皮壊死症", 2020, None)


@pytest.mark.parametrize(("author", "surname"), [
    ("Park, Hyun", "Park"), ("Park H", "Park"), ("Le Nouail P", "Le Nouail"), ("Ben-Ami E", "Ben-Ami"),
    ("Choi GS", "Choi"), ("Denoeux JP", "Denoeux"),
])
def test_surname(author, surname):
    assert surname_of(author) == surname


# -- intake into the registry ---------------------------------------------------------------------


def test_intake_links_duplicates_and_known_publications(registry):
    out = run_cli(url_of(registry), "intake", str(PUBMED), "--source", "PubMed", "--searched-on", "2026-11-20").output
    assert "pubmed.nbib (PubMed): 5 record(s): 4 new candidate(s), 0 duplicate(s), 1 already in the registry" in out
    out = take_in(registry, str(EMBASE), "--searched-on", "2026-11-21")
    assert "embase.ris (Embase): 4 record(s): 1 new candidate(s), 2 duplicate(s), 1 already in the registry" in out
    out = take_in(registry, str(SCOPUS), "--source", "Scopus")
    assert "scopus.bib (Scopus): 3 record(s): 1 new candidate(s), 1 duplicate(s), 1 already in the registry" in out

    records = q(registry, """
        SELECT s.source, r.position, r.is_duplicate, r.match_basis, c.first_author, p.key, c.publication_match
        FROM search_records r JOIN searches s ON s.id = r.search_id JOIN candidates c ON c.id = r.candidate_id
        LEFT JOIN publications p ON p.id = c.publication_id ORDER BY s.id, r.position""")
    assert [(s, pos, bool(dup), basis, author, key, match) for s, pos, dup, basis, author, key, match in records] == [
        ("PubMed", 1, False, None, "Zgolli", "zgolli2019", "doi"),
        ("PubMed", 2, False, None, "Abara", None, None),
        ("PubMed", 3, False, None, "Bianchi", None, None),
        ("PubMed", 4, False, None, "Smith", None, None),
        ("PubMed", 5, False, None, "Chen", None, None),
        ("Embase", 1, False, None, "Park", "park2021", "doi"),
        ("Embase", 2, True, "doi", "Bianchi", None, None),
        ("Embase", 3, True, "title", "Smith", None, None),
        ("Embase", 4, False, None, "Dupont", None, None),
        ("Scopus", 1, False, None, "Le Nouail", "lenouail2006", "title"),
        ("Scopus", 2, True, "pmid", "Abara", None, None),
        ("Scopus", 3, False, None, "Okafor", None, None),
    ]
    # one candidate per work: 9 works in 12 records, three of them already in the registry
    assert q(registry, "SELECT count(*), sum(CASE WHEN in_registry_at_intake THEN 1 ELSE 0 END) FROM candidates") == [(9, 3)]
    assert q(registry, "SELECT source, file_format, record_count, loaded_by FROM searches ORDER BY id") == [
        # loaded_by: $REGISTRY_CURATOR, which the suite sets (tests/conftest.py)
        ("PubMed", "medline", 5, "test-suite"), ("Embase", "ris", 4, "test-suite"), ("Scopus", "bibtex", 3, "test-suite")]
    assert [str(d)[:10] if d else None for (d,) in q(registry, "SELECT searched_on FROM searches ORDER BY id")] == [
        "2026-11-20", "2026-11-21", None]


def test_a_duplicate_gives_its_candidate_the_identifier_it_lacked(registry):
    take_in(registry, str(SCOPUS), "--source", "Scopus")  # Abara 2024 with its PMID only
    assert q(registry, "SELECT doi, pmid FROM candidates WHERE first_author = 'Abara'") == [(None, 90000001)]
    take_in(registry, str(PUBMED), "--source", "PubMed")  # the same work with PMID and DOI
    assert q(registry, "SELECT doi, pmid FROM candidates WHERE first_author = 'Abara'") == [("10.5555/dress.0001", 90000001)]
    assert q(registry, "SELECT doi_as_given, is_duplicate, match_basis FROM search_records WHERE pmid = 90000001 ORDER BY id") == [
        (None, False, None), ("10.5555/dress.0001 [doi]", True, "pmid")]


def test_records_repeated_inside_one_intake_are_duplicates(registry, tmp_path):
    copy = tmp_path / "pubmed-again.txt"
    copy.write_text(PUBMED.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # other bytes, same records
    take_in(registry, str(PUBMED), str(copy), "--source", "PubMed")
    assert q(registry, "SELECT count(*) FROM candidates") == [(5,)]
    assert q(registry, "SELECT match_basis, count(*) FROM search_records WHERE is_duplicate GROUP BY match_basis ORDER BY 1") == [
        ("doi", 4), ("pmid", 1)]  # Zgolli, Abara, Bianchi and Chen carry a DOI; Smith only a PMID


def test_link_after_the_publication_arrives(engine):
    """A work found before its publication was in the registry is linked by `intake --link` once it is."""
    take_in(engine, str(EMBASE))
    assert q(engine, "SELECT publication_id, in_registry_at_intake FROM candidates WHERE first_author = 'Park'") == [(None, False)]
    seed(engine)
    result = run_cli(url_of(engine), "intake", "--link")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "candidate 1 linked to publication 'park2021' (same doi)"
    assert q(engine, "SELECT p.key, c.publication_match, c.in_registry_at_intake FROM candidates c JOIN publications p "
                     "ON p.id = c.publication_id") == [("park2021", "doi", False)]
    assert run_cli(url_of(engine), "intake", "--link").output.strip() == "no new links"


# -- bad files -----------------------------------------------------------------------------------------

BAD = {
    "not-utf8.nbib": (b"PMID- 1\nTI  - Caf\xe9\n", "not-utf8.nbib: not UTF-8 (byte 17)"),
    "empty.ris": (b"  \n", "empty.ris: file is empty"),
    "nul.bib": (b"@article{a, title={x\x00}}", "nul.bib: holds a NUL character"),
    "garbage.nbib": (b"PMID- 1\nTI  - A title\nthis is not a tag line\n", "garbage.nbib: record 1: line 3: not a MEDLINE line"),
    "no-pmid.nbib": (b"PMID- 1\nTI  - A\n\nTI  - B\nPMID- 2\n", "no-pmid.nbib: record 2: (line 4) does not start with a PMID line"),
    "bad-pmid.nbib": (b"PMID- 1\nTI  - A\n\nPMID- 12x\nTI  - B\n", "bad-pmid.nbib: record 2: PMID '12x' is not a PubMed identifier"),
    "no-title.nbib": (b"PMID- 1\nTI  - A\n\nPMID- 2\nDP  - 2020\n", "no-title.nbib: record 2: no title"),
    "bad-year.ris": (b"TY  - JOUR\nTI  - A\nPY  - 1492\nER  - \n", "bad-year.ris: record 1: year '1492' is not a year between 1800 and 2100"),
    "bad-doi.ris": (b"TY  - JOUR\nTI  - A\nDO  - not a doi\nER  - \n", "bad-doi.ris: record 1: DOI 'not a doi' is not a DOI"),
    "cut-short.ris": (b"TY  - JOUR\nTI  - A\nER  - \n\nTY  - JOUR\nTI  - B\n", "cut-short.ris: 2 records start (TY lines) but 1 end (ER lines)"),
    "nothing.ris": (b"some text\n", "nothing.ris: no RIS records found"),
    "broken.bib": (b"@article{a, title={A}, year={2020}}\n@article{b, title = {B\n", "broken.bib: an entry at line 2: cannot be parsed"),
    "twice.bib": (b"@article{a, title={A}}\n@article{a, title={B}}\n", "twice.bib: entry 'a' at line 2: a second entry with the same key"),
    "notes.docx": (b"PK\x03\x04", "notes.docx: unknown file type '.docx'"),
}


#: Every bad file on SQLite; on PostgreSQL a representative few (the files are read before the database is touched).
BAD_CASES = [("sqlite", name) for name in sorted(BAD)] + [
    pytest.param("postgresql", name, marks=pytest.mark.postgres) for name in ("cut-short.ris", "broken.bib", "garbage.nbib")]


@pytest.mark.parametrize(("engine", "name"), BAD_CASES, indirect=["engine"])
def test_bad_file_is_refused_with_one_line_and_nothing_written(engine, name, tmp_path):
    registry = engine
    content, message = BAD[name]
    bad = tmp_path / name
    bad.write_bytes(content)
    before = dump(registry)
    # a good file beside the bad one is not taken in either
    result = run_cli(url_of(registry), "intake", str(PUBMED), str(bad), "--source", "PubMed")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert dump(registry) == before


def test_file_over_the_size_limit(sqlite_engine, monkeypatch):
    monkeypatch.setattr(searchfiles, "MAX_FILE_BYTES", 100)
    result = run_cli(url_of(sqlite_engine), "intake", str(PUBMED), "--source", "PubMed")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"dress-registry: error: {PUBMED}: larger than 100 bytes, the limit for a search export; split it"


def test_same_export_twice_is_refused(registry):
    take_in(registry, str(PUBMED), "--source", "PubMed")
    before = dump(registry)
    result = run_cli(url_of(registry), "intake", str(PUBMED), "--source", "PubMed")
    assert result.exit_code == 2
    assert "pubmed.nbib: this export was already loaded (as pubmed.nbib," in result.stderr
    assert dump(registry) == before


def test_source_is_needed_unless_the_file_names_it(sqlite_engine):
    before = dump(sqlite_engine)
    result = run_cli(url_of(sqlite_engine), "intake", str(SCOPUS))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("scopus.bib: the file does not name the database it came from: give --source NAME (e.g. --source PubMed)")
    assert dump(sqlite_engine) == before


def test_bad_search_date(sqlite_engine):
    result = run_cli(url_of(sqlite_engine), "intake", str(PUBMED), "--source", "PubMed", "--searched-on", "20/11/2026")
    assert result.exit_code == 2
    assert "--searched-on '20/11/2026': not a date (YYYY-MM-DD)" in result.stderr

"""Search exports as reviewers save them: PubMed/MEDLINE (.nbib, .txt), RIS (.ris) and BibTeX (.bib).

`read_search_file(path)` returns the file's records as `SearchRecordIn`
(identifiers and citation only; abstracts are not kept), or raises a
RegistryError naming the file and the record. A file is read whole, up to
`MAX_FILE_BYTES`, and must be UTF-8 (a byte-order mark is allowed and
dropped).

Parsers: RIS through rispy and BibTeX through bibtexparser 2 (both
maintained; their quirks are checked here: rispy silently drops a record
without its closing ER line, so the records are counted against the TY lines;
bibtexparser reports blocks it could not parse, which we refuse). The
MEDLINE tagged format is read by the small reader below: it is a tag of up
to four characters, a dash, and the value, with continuation lines indented
by six spaces; the `nbib` package (last released 2021) adds a dependency
for less than this, and Biopython's Bio.Medline brings a large package for
one module.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import rispy
from bibtexparser import middlewares

from registry.core.errors import RegistryError
from registry.schema.models.screening import FILE_FORMATS

#: Largest search export read (bytes). PubMed's own export stops at 10,000 records, about 30 MB in MEDLINE format.
MAX_FILE_BYTES = 64 * 1024 * 1024

MEDLINE, RIS, BIBTEX = FILE_FORMATS
FORMAT_NAMES = {MEDLINE: "MEDLINE", RIS: "RIS", BIBTEX: "BibTeX"}
SUFFIXES = {".nbib": MEDLINE, ".txt": MEDLINE, ".medline": MEDLINE, ".ris": RIS, ".bib": BIBTEX, ".bibtex": BIBTEX}

YEAR_MIN, YEAR_MAX = 1800, 2100
PMID_MAX = 2**31 - 1


@dataclass(frozen=True)
class SearchRecordIn:
    """One record of a search export: what the file says, checked and normalised, nothing added."""

    position: int
    source_record_id: str | None
    title: str
    authors: tuple[str, ...]
    first_author: str | None
    year: int | None
    doi_as_given: str | None
    doi: str | None
    pmid: int | None
    journal: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    #: The database the file itself names for the record (RIS DB tag), if any.
    database: str | None = None


@dataclass(frozen=True)
class SearchFile:
    path: Path
    file_format: str
    records: tuple[SearchRecordIn, ...]
    data: bytes


class _Bad(Exception):
    """A problem with one record: (position, field, message), turned into a line naming the file."""

    def __init__(self, position: int | None, message: str) -> None:
        super().__init__(message)
        self.position = position


# -- normalisation (shared by the matcher) -----------------------------------------------

_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalise_doi(raw: str | None) -> str | None:
    """'https://doi.org/10.1159/000519471.' -> '10.1159/000519471'; None for an empty value.

    Raises ValueError for a value that is not a DOI (must start with '10.' and a registrant code)."""
    if raw is None or not raw.strip():
        return None
    doi = _DOI_PREFIXES.sub("", raw.strip()).removesuffix("[doi]").strip().rstrip(".").lower()
    if not re.fullmatch(r"10\.\d{4,9}/\S+", doi):
        raise ValueError(f"{raw.strip()!r} is not a DOI (expected 10.NNNN/...)")
    return doi


_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower case, accents dropped, only letters and digits (of any script) kept, single spaces."""
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_NOT_LETTER_OR_DIGIT.sub(" ", text.casefold()).split())


def title_key(title: str, year: int | None, first_author: str | None) -> str:
    """Normalised title + year + first author's surname: 'imatinib induced dress|2021|park'. A title of no
    letters or digits gives a key starting with '|', which matches nothing (see registry.ingest.intake)."""
    return f"{_fold(title)}|{year or ''}|{_fold(first_author or '').replace(' ', '')}"


def surname_of(author: str) -> str | None:
    """The surname in 'Park, Hyun', 'Park H', 'Le Nouail P', 'Ben-Ami E': the part before a comma, else the
    name without its trailing initials."""
    author = author.strip().rstrip(".")
    if not author:
        return None
    if "," in author:
        return author.split(",", 1)[0].strip() or None
    parts = author.split()
    while len(parts) > 1 and re.fullmatch(r"[A-Z][A-Z.\-]{0,3}", parts[-1]):
        parts.pop()
    return " ".join(parts)


def first_author_of_list(authors: str | None) -> str | None:
    """First author's surname of a Vancouver list ('Ben-Ami E, Castells MC, ...')."""
    if not authors:
        return None
    return surname_of(authors.split(",", 1)[0])


# -- checks shared by the readers ---------------------------------------------------------


def _pmid(raw: str | None, position: int) -> int | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not value.isdigit() or not 0 < int(value) <= PMID_MAX:
        raise _Bad(position, f"PMID {value!r} is not a PubMed identifier (a positive whole number)")
    return int(value)


def _year(raw: str | None, position: int) -> int | None:
    if raw is None or not str(raw).strip():
        return None
    m = re.match(r"\s*(\d{4})", str(raw))
    if not m or not YEAR_MIN <= int(m.group(1)) <= YEAR_MAX:
        raise _Bad(position, f"year {str(raw).strip()!r} is not a year between {YEAR_MIN} and {YEAR_MAX}")
    return int(m.group(1))


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def _record(position: int, *, source_record_id: str | None, title: str | None, authors: list[str],
            year: str | None, doi: str | None, pmid: str | None, journal: str | None, volume: str | None,
            issue: str | None, pages: str | None, database: str | None = None,
            first_author: str | None = None) -> SearchRecordIn:
    title = _clean(title)
    if not title:
        raise _Bad(position, "no title")
    authors = [a for a in (_clean(a) for a in authors) if a]
    try:
        doi_norm = normalise_doi(doi)
    except ValueError as exc:
        raise _Bad(position, f"DOI {exc}") from None
    return SearchRecordIn(
        position=position,
        source_record_id=_clean(source_record_id),
        title=title,
        authors=tuple(authors),
        first_author=first_author or (surname_of(authors[0]) if authors else None),
        year=_year(year, position),
        doi_as_given=_clean(doi),
        doi=doi_norm,
        pmid=_pmid(pmid, position),
        journal=_clean(journal),
        volume=_clean(volume),
        issue=_clean(issue),
        pages=_clean(pages),
        database=_clean(database),
    )


# -- MEDLINE ---------------------------------------------------------------------------------

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3}) {0,3}- ?(.*)$")


def _medline_blocks(text: str) -> list[tuple[int, list[tuple[str, str]]]]:
    """(first line number, [(tag, value)]) per record; records are separated by blank lines."""
    blocks: list[tuple[int, list[tuple[str, str]]]] = []
    current: list[tuple[str, str]] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            current = None
            continue
        if line.startswith("      ") and current:
            tag, value = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}")
            continue
        m = _TAG_LINE.match(line)
        if not m:
            raise _Bad(len(blocks) + (1 if current is None else 0),
                       f"line {number}: not a MEDLINE line (expected 'TAG - value' or a continuation indented by six spaces)")
        if current is None:
            current = []
            blocks.append((number, current))
        current.append((m.group(1), m.group(2).strip()))
    return blocks


def _medline_record(position: int, line: int, fields: list[tuple[str, str]]) -> SearchRecordIn:
    if fields[0][0] != "PMID":
        raise _Bad(position, f"(line {line}) does not start with a PMID line")
    values: dict[str, list[str]] = {}
    for tag, value in fields:
        values.setdefault(tag, []).append(value)

    def one(tag: str) -> str | None:
        return values.get(tag, [None])[0]

    doi = next((v for tag in ("LID", "AID") for v in values.get(tag, []) if v.endswith("[doi]")), None)
    full_names = values.get("FAU", [])
    first = surname_of(full_names[0]) if full_names else None
    return _record(
        position, source_record_id=one("PMID"), title=one("TI") or one("BTI"), authors=values.get("AU", []),
        first_author=first, year=one("DP"), doi=doi, pmid=one("PMID"), journal=one("TA") or one("JT"),
        volume=one("VI"), issue=one("IP"), pages=one("PG"),
    )


def _read_medline(text: str) -> list[SearchRecordIn]:
    return [_medline_record(i, line, fields) for i, (line, fields) in enumerate(_medline_blocks(text), start=1)]


# -- RIS ----------------------------------------------------------------------------------------

_RIS_TY = re.compile(r"^TY  - ", re.MULTILINE)
_RIS_ER = re.compile(r"^ER  -", re.MULTILINE)


def _read_ris(text: str) -> list[SearchRecordIn]:
    starts, ends = len(_RIS_TY.findall(text)), len(_RIS_ER.findall(text))
    if starts != ends:
        raise _Bad(None, f"{starts} records start (TY lines) but {ends} end (ER lines): is the file cut short?")
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # noqa: BLE001 - rispy raises plain exceptions for malformed files
        raise _Bad(None, f"not a valid RIS file: {exc}") from None
    if len(entries) != starts:
        raise _Bad(None, f"{starts} records start (TY lines) but {len(entries)} could be read")
    out = []
    for i, e in enumerate(entries, start=1):
        first_page, last_page = e.get("start_page"), e.get("end_page")
        pages = f"{first_page}-{last_page}" if first_page and last_page else first_page
        database = e.get("name_of_database")
        accession = e.get("accession_number")
        pmid = accession if accession and database and re.search(r"pubmed|medline", database, re.I) else None
        out.append(_record(
            i, source_record_id=e.get("id") or accession, title=e.get("title") or e.get("primary_title"),
            authors=e.get("authors") or e.get("first_authors") or [],
            year=e.get("year") or e.get("publication_year") or e.get("date"), doi=e.get("doi"), pmid=pmid,
            journal=e.get("secondary_title") or e.get("journal_name") or e.get("alternate_title3"),
            volume=e.get("volume"), issue=e.get("number"), pages=pages, database=database,
        ))
    return out


# -- BibTeX ---------------------------------------------------------------------------------


def _bib_name(parts) -> str:
    surname = " ".join([*parts.von, *parts.last])
    return f"{surname}, {' '.join(parts.first)}".strip().rstrip(",") if parts.first else surname


def _read_bibtex(text: str) -> list[SearchRecordIn]:
    # bibtexparser logs each failed block as a warning; we report them ourselves, once.
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    library = bibtexparser.parse_string(text, append_middleware=[
        middlewares.LatexDecodingMiddleware(), middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        key = getattr(block, "key", None)
        what = f"entry {key!r}" if key else "an entry"
        reason = "a second entry with the same key" if type(block).__name__.startswith("Duplicate") else "cannot be parsed"
        raise _Bad(None, f"{what} at line {block.start_line + 1}: {reason}")
    out = []
    for i, entry in enumerate(library.entries, start=1):
        fields = {k.lower(): v for k, v in entry.fields_dict.items()}

        def get(name: str):
            f = fields.get(name)
            return None if f is None else f.value

        names = get("author") or []
        authors = [_bib_name(n) for n in names] if isinstance(names, list) else [str(names)]
        first = " ".join([*names[0].von, *names[0].last]) if isinstance(names, list) and names else None
        pmid = get("pmid") or (get("eprint") if str(get("eprinttype") or "").lower() == "pubmed" else None)
        out.append(_record(
            i, source_record_id=entry.key, title=get("title"), authors=authors, first_author=first,
            year=get("year") or get("date"), doi=get("doi"), pmid=pmid, journal=get("journal") or get("journaltitle"),
            volume=get("volume"), issue=get("number"), pages=get("pages"),
        ))
    return out


_READERS = {MEDLINE: _read_medline, RIS: _read_ris, BIBTEX: _read_bibtex}


# -- files ----------------------------------------------------------------------------------------


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 (byte {exc.start}); export the file as UTF-8") from None
    if "\x00" in text:
        raise RegistryError(f"{path}: holds a NUL character at offset {text.index(chr(0))}: not a text export")
    return text


def file_format(path: Path, text: str) -> str:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise RegistryError(f"{path}: unknown file type {path.suffix or '(none)'!r}; allowed: "
                            f"{', '.join(SUFFIXES)} (PubMed/MEDLINE, RIS, BibTeX)")
    if fmt == MEDLINE and path.suffix.lower() == ".txt" and _RIS_TY.search(text.lstrip()[:6]):
        return RIS  # a .txt file in RIS format (some databases save RIS that way)
    return fmt


def read_search_file(path: Path, max_bytes: int | None = None) -> SearchFile:
    """Read and check one search export (at most `max_bytes`, default MAX_FILE_BYTES); RegistryError names the
    file (and the record) on any problem."""
    max_bytes = max_bytes or MAX_FILE_BYTES
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise RegistryError(f"{path}: larger than {max_bytes:,} bytes, the limit for a search export; split it")
    text = _decode(path, data)
    fmt = file_format(path, text)
    if not text.strip():
        raise RegistryError(f"{path}: file is empty")
    try:
        records = _READERS[fmt](text)
    except _Bad as exc:
        where = f"record {exc.position}: " if exc.position else ""
        raise RegistryError(f"{path}: {where}{exc}") from None
    if not records:
        raise RegistryError(f"{path}: no {FORMAT_NAMES[fmt]} records found")
    return SearchFile(path, fmt, tuple(records), data)

"""Citations as RIS, BibTeX and CSL-JSON records: the one formatter the export and the site share.

Authors are stored Vancouver style ('Park H, Choi GS'); RIS gets one AU line
each ('Park, H.'), BibTeX 'Park, H. and Choi, G. S.'; initials may be any
capital letters ('Lefèvre É' -> 'Lefèvre, É.'). Text stays UTF-8 (biber and
modern BibTeX read it); every field's BibTeX special characters are escaped.
DOI and URL are verbatim fields (the reader takes them as written, so a
backslash escape would be a wrong character): there the characters that
could end or break the field, braces and backslash, are percent-encoded (and
white space dropped), which a DOI resolver or browser reads back as the same
address. The registry key is the RIS ID and the BibTeX citation key. A year the
curators could not read is left out of RIS (PY is optional there) and is
"n.d." in BibTeX, whose styles want a year; a journal that could not be read is
left out of both. CSL-JSON (the citation processors' own input) leaves an
unknown year out of `issued`, which the styles then print as "n.d.". Authors that could
not be read are left out of all three (no AU lines, no BibTeX author, no CSL author):
reference managers and styles then cite the work by its title, as for an anonymous work.
"""

from __future__ import annotations

import json
import re
from typing import Any

from registry.schema.vocabulary import ArticleType

#: article_type -> RIS reference type, BibTeX entry type, CSL item type.
RIS_TYPES = {ArticleType.CONFERENCE_ABSTRACT: "ABST", ArticleType.SYNTHETIC: "GEN"}
BIB_TYPES = {ArticleType.CONFERENCE_ABSTRACT: "inproceedings", ArticleType.SYNTHETIC: "misc"}
CSL_TYPES = {ArticleType.CONFERENCE_ABSTRACT: "paper-conference", ArticleType.SYNTHETIC: "document"}

def _initials(word: str) -> bool:
    """Up to four capital letters of any alphabet: 'GS', 'É', 'ÅM'."""
    return len(word) <= 4 and word.isalpha() and word.isupper()


def split_authors(authors: str | None) -> list[tuple[str, str]]:
    """'Park H, Choi GS, et al.' -> [('Park', 'H.'), ('Choi', 'G. S.'), ('others', '')]."""
    out: list[tuple[str, str]] = []
    for part in (authors or "").split(","):
        name = part.strip().rstrip(".")
        if not name:
            continue
        if name.lower() in ("et al", "et al."):
            out.append(("others", ""))
            continue
        words = name.split()
        if len(words) > 1 and _initials(words[-1]):
            out.append((" ".join(words[:-1]), " ".join(f"{c}." for c in words[-1])))
        else:
            out.append((name, ""))
    return out


def _pages(pages: str | None) -> tuple[str | None, str | None]:
    if not pages:
        return None, None
    parts = re.split(r"\s*[-–—]+\s*", pages.strip(), maxsplit=1)
    return parts[0] or None, (parts[1] if len(parts) > 1 and parts[1] else None)


def ris_record(p: dict[str, Any]) -> str:
    lines: list[tuple[str, Any]] = [("TY", RIS_TYPES.get(p["article_type"], "JOUR")), ("ID", p["key"])]
    for surname, initials in split_authors(p["authors"]):
        if surname != "others":
            lines.append(("AU", f"{surname}, {initials}".rstrip(", ")))
    start, end = _pages(p.get("pages"))
    lines += [
        ("TI", p.get("title")), ("TT", p.get("title_english")), ("JO", p.get("journal")), ("T2", p.get("journal")),
        ("PY", p.get("year")), ("VL", p.get("volume")), ("IS", p.get("issue")), ("SP", start), ("EP", end),
        ("DO", p.get("doi")), ("AN", p.get("pmid")), ("UR", p.get("url")), ("LA", p.get("language")),
        ("N1", f"PMCID: {p['pmcid']}" if p.get("pmcid") else None),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines if value is not None)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


_BIB_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def bib_escape(text: str) -> str:
    return "".join(_BIB_ESCAPES.get(ch, ch) for ch in _one_line(text))


#: Characters percent-encoded in the verbatim fields (doi, url).
_VERBATIM_ESCAPES = {ch: f"%{ord(ch):02X}" for ch in "{}\\"}


def bib_verbatim(text: str) -> str:
    return "".join(_VERBATIM_ESCAPES.get(ch, ch) for ch in "".join(str(text).split()))


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else bib_escape(str(value))


def bibtex_record(p: dict[str, Any]) -> str:
    authors = " and ".join(
        "others" if s == "others" else (f"{bib_escape(s)}, {i}" if i else bib_escape(s))
        for s, i in split_authors(p["authors"])
    )
    start, end = _pages(p.get("pages"))
    pages = f"{start}--{end}" if start and end else start
    fields: list[tuple[str, Any]] = [
        ("author", authors or None),
        ("title", "{" + bib_escape(p["title"]) + "}" if p.get("title") else None),
        ("journal" if BIB_TYPES.get(p["article_type"]) is None else "booktitle",
         bib_escape(p["journal"]) if p.get("journal") else None),
        ("year", _text(p.get("year")) if p.get("year") is not None else "n.d."),
        ("volume", _text(p.get("volume"))),
        ("number", _text(p.get("issue"))),
        ("pages", _text(pages)),
        ("doi", bib_verbatim(p["doi"]) if p.get("doi") else None),
        ("pmid", _text(p.get("pmid"))),
        ("pmcid", _text(p.get("pmcid"))),
        ("url", bib_verbatim(p["url"]) if p.get("url") else None),
        ("language", _text(p.get("language"))),
        ("note", "English title: " + bib_escape(p["title_english"]) if p.get("title_english") else None),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value is not None)
    return f"@{BIB_TYPES.get(p['article_type'], 'article')}{{{p['key']},\n{body}\n}}\n"


def csl_item(p: dict[str, Any]) -> dict[str, Any]:
    """A publication as one CSL-JSON item (fields that are unknown are left out)."""
    authors = [{"family": s, **({"given": i} if i else {})} if s != "others" else {"literal": "et al."}
               for s, i in split_authors(p["authors"])]
    item: dict[str, Any] = {
        "id": p["key"], "type": CSL_TYPES.get(p["article_type"], "article-journal"), "title": p.get("title"),
        "author": authors or None, "container-title": p.get("journal"),
        "issued": {"date-parts": [[int(p["year"])]]} if p.get("year") is not None else None,
        "volume": p.get("volume"), "issue": p.get("issue"), "page": p.get("pages"), "DOI": p.get("doi"),
        "PMID": str(p["pmid"]) if p.get("pmid") else None, "PMCID": p.get("pmcid"), "URL": p.get("url"),
        "language": p.get("language"),
    }
    return {k: v for k, v in item.items() if v not in (None, "")}


def csl_json_record(p: dict[str, Any]) -> str:
    """CSL-JSON: an array holding the one item."""
    return json.dumps([csl_item(p)], ensure_ascii=False, indent=2) + "\n"

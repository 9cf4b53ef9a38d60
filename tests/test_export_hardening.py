"""Export files under hostile or awkward text: BibTeX fields, non-ASCII initials, the README's reading recipes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cases.citations import bibtex_record, split_authors
from registry.outputs.export.codebook import readme
from registry.outputs.export.writers import CsvTable

HOSTILE_PUBLICATION = {
    "key": "hostile2024",
    "authors": "Lefèvre É, Ødegård ÅM, O'Brien {J}, Smith",
    "title": "A title with {braces}, 100% & $x_1$ # ~ ^ \\ in it",
    "title_english": "An } English title",
    "journal": "J {Test} & Rep",
    "year": 2024,
    "volume": "1}",
    "issue": "2{",
    "pages": "3-4}",
    "doi": "10.1000/x}, title = {injected} ,{a\\b c",
    "pmid": 1,
    "pmcid": "PMC1_2",
    "url": "https://example.invalid/a?b=%7B}&c={",
    "language": "fr}",
    "article_type": "case_report",
}


def _fields(entry: str) -> dict[str, str]:
    """BibTeX fields of one entry, read the way BibTeX does: a value runs to its matching brace."""
    body = entry[entry.index(",") + 1: entry.rindex("}")]
    fields, i = {}, 0
    while (match := re.compile(r"\s*,?\s*(\w+)\s*=\s*\{").match(body, i)):
        depth, j = 1, match.end()
        while depth:
            if body[j] == "\\":
                j += 2
                continue
            depth += {"{": 1, "}": -1}.get(body[j], 0)
            j += 1
        fields[match.group(1)] = body[match.end(): j - 1]
        i = j
    assert body[i:].strip() == "", f"text after the last field: {body[i:]!r}"
    return fields


def test_bibtex_keeps_every_hostile_field_inside_its_braces():
    entry = bibtex_record(HOSTILE_PUBLICATION)
    fields = _fields(entry)
    assert set(fields) == {"author", "title", "journal", "year", "volume", "number", "pages", "doi", "pmid", "pmcid",
                           "url", "language", "note"}
    assert fields["doi"] == "10.1000/x%7D,title=%7Binjected%7D,%7Ba%5Cbc"
    assert fields["url"] == "https://example.invalid/a?b=%7B%7D&c=%7B"
    assert fields["title"] == r"{A title with \{braces\}, 100\% \& \$x\_1\$ \# \textasciitilde{} \textasciicircum{} \textbackslash{} in it}"
    assert fields["volume"] == r"1\}" and fields["number"] == r"2\{" and fields["language"] == r"fr\}"
    assert fields["pmcid"] == r"PMC1\_2"
    assert "injected" not in entry.split("doi = ")[0]


def test_non_ascii_initials_are_split():
    assert split_authors("Lefèvre É, Ødegård ÅM, Çelik Ş, Park H, Choi GS") == [
        ("Lefèvre", "É."), ("Ødegård", "Å. M."), ("Çelik", "Ş."), ("Park", "H."), ("Choi", "G. S."),
    ]
    assert split_authors("DNA Group, Smith") == [("DNA Group", ""), ("Smith", "")]
    assert _fields(bibtex_record(HOSTILE_PUBLICATION))["author"].startswith("Lefèvre, É. and Ødegård, Å. M. and")


# -- the README's recipes, run -------------------------------------------------------------

ROWS = [["park2021-1", "KR", "62", "female"], ["x-1", "NA", "NR", "NA-SRC"], ["x-2", "NR", "", "male"]]


def _recipes() -> dict[str, str]:
    text = readme(fmt="csv", selection="all", counts={}, files=[], raw=False, excel=False)
    blocks = dict(re.findall(r"```(python|r)\n(.*?)```", text, re.S))
    assert set(blocks) == {"python", "r"}, text
    return blocks


@pytest.fixture
def case_csv(tmp_path) -> Path:
    for excel in (False, True):
        folder = tmp_path / ("excel" if excel else "plain")
        folder.mkdir()
        with CsvTable(folder / "case_summary.csv", ["case_key", "country", "age_years", "sex"], excel=excel) as out:
            out.write_rows(ROWS)
    return tmp_path


@pytest.mark.parametrize("variant", ["plain", "excel"])
def test_the_pandas_recipe_reads_missing_codes_and_keeps_namibia(case_csv, variant):
    code = _recipes()["python"]
    # In a fresh interpreter, as a reader would run it (pandas is a test dependency).
    subprocess_code = f"import os\nos.chdir({str(case_csv / variant)!r})\n{code}\nprint(cases.to_json(orient='records'))"
    result = subprocess.run([sys.executable, "-c", subprocess_code], capture_output=True, text=True, check=True)
    rows = json.loads(result.stdout)
    assert [r["country"] for r in rows] == ["KR", "NA", None]
    assert [r["age_years"] for r in rows] == [62.0, None, None]
    assert [r["sex"] for r in rows] == ["female", None, "male"]


@pytest.mark.parametrize("variant", ["plain", "excel"])
def test_the_r_recipe_reads_missing_codes_and_keeps_namibia(case_csv, variant):
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.fail("Rscript is needed: make test installs r-base-core")
    code = _recipes()["r"] + 'write.csv(data.frame(country = cases$country, age = cases$age_years, na_country = ' \
        'is.na(cases$country), sex = cases$sex), stdout(), row.names = FALSE)\n'
    result = subprocess.run([rscript, "-e", code], cwd=case_csv / variant, capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines == ['"country","age","na_country","sex"', '"KR",62,FALSE,"female"', '"NA",NA,FALSE,NA',
                     'NA,NA,TRUE,"male"']

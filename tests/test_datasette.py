"""The published site through datasette's own test client, configured exactly as `serve` runs it."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import publish_fixtures as fx
import pytest
from datasette.app import Datasette
from markupsafe import escape as html_escape

from registry.core.db import make_engine
from registry.outputs.publish.build import publish
from registry.outputs.publish.canned import canned_queries
from registry.outputs.publish.serve import SETTINGS, datasette_kwargs

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
RAW_SCRIPT = "<script>alert(1)</script>"
QUERIES = canned_queries()


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory, db_templates) -> Path:
    tmp = tmp_path_factory.mktemp("site")
    engine = make_engine(db_templates.copy(db_templates.migrated("sqlite"), tmp / "work.db"))
    fx.write_cases(engine)
    publish(engine, tmp / "dist")
    engine.dispose()
    return tmp / "dist"


@pytest.fixture
def ds(out_dir) -> Datasette:
    return Datasette(**datasette_kwargs(out_dir))


async def _ok(ds: Datasette, path: str):
    response = await ds.client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:500]}"
    return response


async def test_home_page_describes_the_registry(ds):
    html = (await _ok(ds, "/")).text
    assert "DRESS case registry" in html
    assert "not clinical advice" in html
    assert "CC BY 4.0" in html
    assert "doi:10.1159/000519471" in html
    assert ESCAPED_SCRIPT in html and RAW_SCRIPT not in html


async def test_home_page_reads_only_the_baked_tables(out_dir):
    """The landing page runs a handful of queries (counts, build, release), not datasette's index view,
    which introspects every table of the file: its cost then grows with the schema, and under load it was
    most of the server's time. Counted with datasette's own query trace."""
    kwargs = datasette_kwargs(out_dir)
    kwargs["settings"]["trace_debug"] = True
    html = (await _ok(Datasette(**kwargs), "/?_trace=1")).text
    traced = re.search(r"&#34;num_traces&#34;: (\d+)", html)
    assert traced and 1 <= int(traced.group(1)) <= 5, traced
    assert "registry-counts" in html and 'id="cite"' in html
    assert (await _ok(Datasette(**kwargs), "/.json")).json()["registry"]["tables_count"] > 10  # datasette's own JSON stays


async def test_database_is_immutable_and_settings_are_applied(ds):
    databases = (await _ok(ds, "/-/databases.json")).json()
    (registry,) = [d for d in databases if d["name"] == "registry"]
    assert registry["is_mutable"] is False
    settings = (await _ok(ds, "/-/settings.json")).json()
    for name, value in SETTINGS.items():
        assert settings[name] == value, name


async def test_every_table_page_renders(ds):
    tables = (await _ok(ds, "/registry.json")).json()["tables"]
    assert len(tables) > 40
    for table in tables:
        await _ok(ds, f"/registry/{table['name']}")
        await _ok(ds, f"/registry/{table['name']}.json?_size=1")


async def test_fts_tables_are_hidden(ds):
    tables = {t["name"]: t for t in (await _ok(ds, "/registry.json")).json()["tables"]}
    assert tables["case_summary_fts"]["hidden"] and tables["publications_fts"]["hidden"]
    assert not tables["case_summary"]["hidden"]


async def test_case_page_is_readable_with_chart_timeline_and_evidence(ds):
    html = (await _ok(ds, f"/registry/case_summary/{fx.PARK_KEY}")).text
    assert "Case park2021-1" in html
    assert 'class="registry-chart eosinophil-chart"' in html and "<polyline" in html
    for text in ("Timeline", "Desensitisation step 4: 100 mg", "reslizumab", "Doses", "Laboratory values",
                 "Treatment of the reaction", "Outcome", "Evidence", "65 years", "Recovered/resolved",
                 "https://doi.org/10.1159/000519471", "https://pubmed.ncbi.nlm.nih.gov/34899250/"):
        assert text in html, text
    assert "not clinical advice" in html.lower()


async def test_timeline_groups_undated_events_after_the_dated_ones(ds, out_dir):
    """Events the source does not date come after every dated one, under one "Day not stated" heading."""
    with sqlite3.connect(out_dir / "registry.db") as conn:
        case_id = conn.execute("select id from cases where case_key = ?", [fx.PARK_KEY]).fetchone()[0]
        undated = conn.execute("select count(*) from case_timeline where case_id = ? and day is null", [case_id]).fetchone()[0]
    assert undated, "the fixture case should have an undated event"
    html = (await _ok(ds, f"/registry/case_summary/{fx.PARK_KEY}")).text
    table = html.split('class="registry-table registry-timeline"', 1)[1].split("</table>", 1)[0]
    assert table.count("Day not stated by the source") == 1
    after = table.split("Day not stated by the source", 1)[1]
    assert after.count("<tr class=\"kind-") == undated
    assert not re.search(r'<td class="num">\d', after)  # nothing dated after the heading


async def test_sparse_case_page_escapes_the_title_and_shows_unknowns(ds):
    html = (await _ok(ds, f"/registry/case_summary/{fx.SPARSE_KEY}")).text
    assert ESCAPED_SCRIPT in html and RAW_SCRIPT not in html
    assert "not known" in html
    # its one count has no day: drawn in the chart's "day not stated" strip, not left out
    assert 'class="point undated"' in html and "day not stated" in html


async def test_script_title_is_escaped_on_table_and_row_pages(ds):
    for path in ("/registry/publications", "/registry/publications/2", "/registry/case_summary",
                 "/registry/search?q=letter", "/about"):
        html = (await _ok(ds, path)).text
        assert RAW_SCRIPT not in html, path


async def test_about_page_has_the_charts(ds):
    html = (await _ok(ds, "/about")).text
    for css in ("latency-chart", "indication-chart", "outcome-chart"):
        assert f'class="registry-chart {css}"' in html, css
    assert "gastrointestinal stromal tumour" in html
    assert "latency_days" in html


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
async def test_every_canned_query_runs_as_json_and_html(ds, query):
    qs = urlencode(query.example)
    data = (await _ok(ds, f"/registry/{query.name}.json?{qs}&_shape=array")).json()
    assert isinstance(data, list)
    html = (await _ok(ds, f"/registry/{query.name}?{qs}")).text
    assert html_escape(query.title) in html


async def test_canned_queries_answer_with_the_test_cases(ds):
    async def rows(name: str, **params: str) -> list[dict]:
        return (await _ok(ds, f"/registry/{name}.json?{urlencode(params)}&_shape=array")).json()

    assert [r["case_key"] for r in await rows("cases_for_drug", drug="Imatinib")] == [fx.SPARSE_KEY, fx.PARK_KEY]
    assert await rows("cases_for_drug", drug="sunitinib") == []
    latency = {r["latency_window_days"]: r["cases"] for r in await rows("latency_distribution")}
    assert latency == {"15-21": 1, "unknown": 1}
    challenges = await rows("challenge_outcomes")
    assert challenges[0]["re_exposure"] == "Desensitisation" and challenges[0]["result"] == "Recurrence"
    assert "25 mg on protocol day 1; 25 mg on protocol day 1 (+30 min)" in challenges[0]["steps"]
    assert [r["case_key"] for r in await rows("continued_drug")] == [fx.PARK_KEY]
    assert sorted(r["comparison"] for r in await rows("score_comparison")) == ["cannot compare", "consistent with the authors"]
    assert [r["other_value"] for r in await rows("source_disagreements")] == ["65 years"]
    evidence = await rows("case_evidence", case_key=fx.PARK_KEY)
    assert {"followed", "not followed"} == {r["curation"] for r in evidence}
    assert [r["case_key"] for r in await rows("search", q=fx.SEARCH_WORD)] == [fx.PARK_KEY]
    assert await rows("search", q="") == []
    assert await rows("search", q='"unbalanced') == []


async def test_no_canned_query_is_writable(ds):
    queries = (await _ok(ds, "/registry.json")).json()["queries"]
    assert queries and not any(q.get("write") for q in queries)
    response = await ds.client.post("/registry/search", data={"q": "x"})
    assert response.status_code >= 400


async def test_configured_facets_appear_on_case_summary(ds):
    data = (await _ok(ds, "/registry/case_summary.json?_extra=facet_results")).json()
    facets = data["facet_results"]
    assert set(facets) == {"indication", "main_suspect_drug", "reaction_outcome", "sex", "rechallenge_result", "year"}
    sexes = {v["value"]: v["label"] for v in facets["sex"]["results"]}
    assert sexes == {"female": "Female"}
    drugs = {v["value"]: v["count"] for v in facets["main_suspect_drug"]["results"]}
    assert drugs == {"imatinib": 2}
    html = (await _ok(ds, "/registry/case_summary")).text
    assert "main_suspect_drug=imatinib" in html


async def test_array_facet_on_every_suspect_drug_runs_on_request(ds):
    # Not a default facet (it reads every row), but still one click or parameter away.
    path = "/registry/case_summary.json?_facet_array=suspect_drug_list&_extra=facet_results"
    facets = (await _ok(ds, path)).json()["facet_results"]
    assert {v["value"]: v["count"] for v in facets["suspect_drug_list"]["results"]} == {"imatinib": 2}
    rows = (await _ok(ds, "/registry/case_summary.json?suspect_drug_list__arraycontains=imatinib&_shape=array")).json()
    assert sorted(r["case_key"] for r in rows) == [fx.SPARSE_KEY, fx.PARK_KEY]


async def test_case_summary_pages_use_the_configured_size(out_dir):
    # The registry sets "size" in case_summary's metadata; a size of 1 makes it visible with two cases.
    kwargs = datasette_kwargs(out_dir)
    kwargs["metadata"]["databases"]["registry"]["tables"]["case_summary"]["size"] = 1
    small = Datasette(**kwargs)
    data = (await _ok(small, "/registry/case_summary.json?_shape=objects")).json()
    assert len(data["rows"]) == 1 and data["next"]
    assert len((await _ok(small, "/registry/case_summary.json?_shape=array&_size=2")).json()) == 2
    assert "_next=" in (await _ok(small, "/registry/case_summary")).text


async def test_paged_canned_queries_take_a_page_number(ds):
    async def keys(name: str, **params: str) -> list[str]:
        rows = (await _ok(ds, f"/registry/{name}.json?{urlencode(params)}&_shape=array")).json()
        return [r["case_key"] for r in rows]

    first = await keys("cases_for_drug", drug="imatinib")
    assert first == [fx.SPARSE_KEY, fx.PARK_KEY]
    for page in ("1", " 1 ", "0", "-2", "not a number"):
        assert await keys("cases_for_drug", drug="imatinib", page=page) == first, page
    assert await keys("cases_for_drug", drug="imatinib", page="2") == []
    assert await keys("score_comparison", page="2") == []
    html = (await _ok(ds, "/registry/cases_for_drug?drug=imatinib")).text
    assert 'name="page"' not in html and "rows per page" in html


async def test_table_search_uses_the_fts_index(ds):
    data = (await _ok(ds, f"/registry/case_summary.json?_search={fx.SEARCH_WORD}&_shape=array")).json()
    assert [r["case_key"] for r in data] == [fx.PARK_KEY]


async def test_csv_stream_of_case_summary_is_complete(out_dir):
    # With pages of one row, a plain CSV export stops after one case; a streamed
    # one must follow every page and return them all.
    kwargs = datasette_kwargs(out_dir)
    kwargs["settings"] = {**kwargs["settings"], "default_page_size": 1}
    kwargs["metadata"]["databases"]["registry"]["tables"]["case_summary"]["size"] = 1
    small = Datasette(**kwargs)
    capped = (await small.client.get("/registry/case_summary.csv")).text
    assert len(list(csv.DictReader(io.StringIO(capped)))) == 1
    response = await small.client.get("/registry/case_summary.csv?_stream=on&_labels=on&_dl=on")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["case_key"] for r in rows) == [fx.SPARSE_KEY, fx.PARK_KEY]
    (park,) = [r for r in rows if r["case_key"] == fx.PARK_KEY]
    assert park["sex_label"] == "Female" and park["latency_days"] == "15"
    assert not any(line.startswith("CSV contains more than") for line in response.text.splitlines())
    timeline = (await small.client.get("/registry/case_timeline.csv?_stream=on")).text
    total = (await _ok(small, "/registry/case_timeline.json?_shape=objects")).json()["filtered_table_rows_count"]
    assert len(list(csv.DictReader(io.StringIO(timeline)))) == total > 20


async def test_connections_memory_map_the_published_file(ds):
    db = ds.get_database("registry")
    assert await db.execute_fn(lambda conn: conn.execute("pragma mmap_size").fetchone()[0]) > 0


async def test_whole_file_download_is_allowed(ds):
    response = await ds.client.get("/registry.db")
    assert response.status_code == 200
    assert response.content.startswith(b"SQLite format 3")


async def test_search_finds_a_re_exposure_whatever_the_word_and_marks_it(ds):
    async def found(q: str) -> list[dict]:
        return (await _ok(ds, f"/registry/search.json?{urlencode({'q': q})}&_shape=array")).json()

    # the Park case says "desensitisation" and "continued through": each word for a re-exposure finds it
    for word in ("rechallenge", "re-introduction", "restart", "desensitization", "desensitisation"):
        rows = await found(word)
        assert [r["case_key"] for r in rows] == [fx.PARK_KEY], word
    assert "⟦" in (await found("rechallenge"))[0]["matched"]
    answer = (await _ok(ds, "/registry/search?q=rechallenge")).text.split('<details class="registry-sql">')[0]
    assert "<mark>" in answer and "⟦" not in answer
    assert await found("anaphylaxis") == []


async def test_saved_question_reads_like_a_report(ds):
    html = (await _ok(ds, "/registry/cases_for_drug?drug=imatinib")).text
    assert "Which cases had this drug as a suspect?" in html
    assert '<select id="qp1" name="drug">' in html and "<option selected>imatinib</option>" in html
    assert 'name="page"' not in html and "Custom SQL query" not in html
    assert html.index("Answer: 2 rows") < html.index('<details class="registry-sql">')
    assert f'<a href="/registry/case_list/{fx.PARK_KEY}">{fx.PARK_KEY}</a>' in html
    unanswered = (await _ok(ds, "/registry/case_evidence")).text
    assert "Choose above to see the answer." in unanswered and f"<option>{fx.PARK_KEY}</option>" in unanswered


async def test_saved_questions_answer_in_words(ds):
    rows = {r["case_key"]: r for r in (await _ok(ds, "/registry/cases_for_drug.json?drug=imatinib&_shape=array")).json()}
    assert rows[fx.PARK_KEY]["age_years"] == 62 and rows[fx.PARK_KEY]["sex"] == "Female"
    assert all(v not in (None, "") for r in rows.values() for v in r.values())
    (park,) = (await _ok(ds, "/registry/score_comparison.json?_shape=array")).json()[:1] or [None]
    assert park is not None and park["authors"] and park["registry"]
    continued = (await _ok(ds, "/registry/continued_drug.json?_shape=array")).json()
    assert continued[0]["therapy_fate"] and continued[0]["re_exposures"].startswith("Desensitisation")


async def test_indication_outcome_counts_every_case(ds):
    rows = (await _ok(ds, "/registry/indication_outcome.json?_shape=array")).json()
    assert sum(r["cases"] for r in rows) == 2


async def test_case_list_reads_without_blanks_codes_or_floats(ds):
    rows = {r["case_key"]: r for r in (await _ok(ds, "/registry/case_list.json?_shape=array")).json()}
    assert set(rows) == {fx.PARK_KEY, fx.SPARSE_KEY}
    assert all(v is not None and v != "" for r in rows.values() for v in r.values())
    park, sparse = rows[fx.PARK_KEY], rows[fx.SPARSE_KEY]
    assert park["age_years"] == 62 and isinstance(park["age_years"], int) and park["sex"] == "Female"
    assert park["peak_eosinophils_per_ul"] == 1690 and park["latency_days"] == 15
    assert park["re_exposure"] == "Desensitisation, Continued through reaction" and park["re_exposure_result"] == "Recurrence"
    compared = sorted(r["comparison"] for r in (await _ok(ds, "/registry/score_comparison.json?_shape=array")).json())
    assert sorted(r["regiscar_comparison"] for r in rows.values()) == compared
    assert {sparse["age_years"], sparse["sex"], sparse["latency_days"]} <= {"not reported", "source not read"}
    # the page links each case once, to its case page
    html = (await _ok(ds, "/registry/case_list")).text
    assert html.count(f'href="/registry/case_list/{fx.PARK_KEY}"') == 1


async def test_statistics_are_baked_with_median_and_exclusions(ds):
    rows = {r["measure"]: r for r in (await _ok(ds, "/registry/case_statistics.json?_shape=array")).json()}
    lat = rows["latency_days"]
    assert (lat["n"], lat["excluded"], lat["approximate"], lat["median"], lat["minimum"], lat["maximum"]) == (1, 1, 1, 15, 15, 15)
    html = (await _ok(ds, "/methods")).text
    assert "n = 1" in html and "1 case left out" in html
    assert 'href="/registry/case_list?latency_days__gte=15&amp;latency_days__lte=21"' in html
    filtered = (await _ok(ds, "/registry/case_list.json?latency_days__gte=15&latency_days__lte=21&_shape=array")).json()
    assert [r["case_key"] for r in filtered] == [fx.PARK_KEY]


async def test_every_evidence_row_is_worded_with_its_fact(ds):
    rows = (await _ok(ds, "/registry/evidence_facts.json?_shape=array&_size=max")).json()
    raw = (await _ok(ds, "/registry/evidence.json?_shape=array&_size=max")).json()
    assert len(rows) == len(raw) > 0
    tables = {r["subject_table"] for r in raw}
    assert all(r["fact"] and r["fact"] not in tables and r["source_states"] for r in rows)
    facts = {r["fact"] for r in rows}
    assert "Age" in facts and any(f.startswith("Eosinophils (absolute) 1,690/µL, day ~") for f in facts)
    html = (await _ok(ds, f"/registry/case_list/{fx.PARK_KEY}")).text
    park_id = (await _ok(ds, f"/registry/case_summary/{fx.PARK_KEY}.json?_shape=object")).json()[fx.PARK_KEY]["case_id"]
    cells = re.findall(r'<td class="registry-fact">([^<]*)</td>', html)
    assert len(cells) == len([r for r in raw if r["case_id"] == park_id]) and all(c.strip() for c in cells)
    assert not {c.strip() for c in cells} & tables
    # each fact's sources, as sentences: the fact, what the source states, the publication and the place in it
    sentences = re.findall(r'<details class="registry-src">.*?<ul><li>([^<]*)</li>', html, re.S)
    assert sentences and all(": " in t and " — Park " in t for t in sentences), sentences[:3]


async def test_each_publication_cites_as_ris_and_bibtex(ds):
    ris = await _ok(ds, "/cite/park2021.ris")
    assert ris.text.startswith("TY  - JOUR\r\nID  - park2021\r\n") and "DO  - 10.1159/000519471" in ris.text
    bib = await _ok(ds, "/cite/park2021.bib")
    assert bib.text.startswith("@article{park2021,") and "Park, H. and Choi, G. S." in bib.text
    assert (await ds.client.get("/cite/nosuch2000.ris")).status_code == 404


async def test_landing_page_counts_from_the_baked_table_and_shows_release(ds):
    html = (await _ok(ds, "/")).text
    assert "<strong>2</strong> cases" in html and "Version 0.1.0, built " in html
    assert 'href="/download/index.html"' in html and 'action="/registry/search"' in html
    assert "case_list" in (await _ok(ds, "/registry")).text
    assert "vocab_sex" not in (await _ok(ds, "/registry")).text.split("hidden table")[0].split('id="tables"')[-1]

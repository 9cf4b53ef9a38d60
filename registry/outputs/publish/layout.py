"""What the published file holds beyond the model tables: the baked tables, the derived columns, the label columns.

Declared here, once, for the builder (registry.outputs.publish.build) and the
datasette metadata (registry.outputs.publish.metadata).
"""

from __future__ import annotations

from registry.cases.baked import BakedTable, Col
from registry.cases.summary import CASE_SUMMARY
from registry.outputs.publish.discrepancies import DISCREPANCIES
from registry.outputs.publish.facets import CASE_SUMMARY_FACET_ROWS
from registry.outputs.publish.reading import READING_TABLES
from registry.outputs.publish.scores import BUILD_INFO
from registry.outputs.publish.stats import REGISTRY_STATS
from registry.outputs.publish.suspects import CASE_SUSPECT_DRUGS
from registry.outputs.publish.timeline import CASE_TIMELINE, LAB_SERIES

#: Baked tables in build order (case_summary first: the others point at it; the reading tables read it).
BAKED_TABLES: tuple[BakedTable, ...] = (
    CASE_SUMMARY, CASE_TIMELINE, LAB_SERIES, DISCREPANCIES, CASE_SUSPECT_DRUGS, CASE_SUMMARY_FACET_ROWS, REGISTRY_STATS,
    BUILD_INFO,
    *READING_TABLES,
)

#: Columns the published copy of a model table gains, so links and labels read well.
DERIVED_COLUMNS: dict[str, tuple[Col, ...]] = {
    "publications": (
        Col("citation", str, "Short citation: first author year, journal (datasette shows it wherever a publication is referenced)."),
        Col("doi_url", str, "Link to the publication through doi.org."),
        Col("pubmed_url", str, "Link to the publication on PubMed."),
    ),
}

#: Indexes of the working schema the published site never reads, dropped from the published copy before
#: the bake (whose new tables then take their pages, so the file does not grow by them): the facet-only
#: indexes of the evidence table (its page shows no facets: at 4 million rows each cost a second), the
#: subject index (the bake's completeness counts and discrepancies read it first; the case page reads
#: evidence by case), two of findings (its unique (case_id, finding) index serves lookups by case) and
#: assessment_items' index on assessment_id (its unique (assessment_id, item_code) index serves the same
#: lookups: 29 MB of 2.1 million registry score items at 100,000 cases).
UNUSED_INDEXES = ("ix_evidence_status", "ix_evidence_derivation", "ix_findings_case_id", "ix_findings_status",
                  "ix_assessment_items_assessment_id")
#: Dropped once the bake has read evidence by subject.
BAKE_ONLY_INDEXES = ("ix_evidence_subject",)
#: Indexes of registry tables that only the site reads, made in the published file (name: CREATE statement).
#: The case page lists what each of the case's publications leaves unknown: the few evidence rows about a
#: publication itself, found among millions (56 ms at 100,000 cases without it, under 1 ms with).
SITE_INDEXES = {
    "evidence_about_publications": (
        "CREATE INDEX evidence_about_publications ON evidence (subject_id) "
        "WHERE case_id IS NULL AND subject_table = 'publications'"
    ),
}

#: Label column of model tables whose rows other tables point at (vocab tables use 'label').
LABEL_COLUMNS = {"drugs": "name", "publications": "citation", "cases": "case_key"}

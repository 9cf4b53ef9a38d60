"""Drug identity: one substance per drugs row, named by its INN (lower case).

Seed documents and imports may name a drug by a brand or a salt ("Gleevec",
"imatinib mesylate"); the registry stores the substance, by its International
Nonproprietary Name, so that every case of one substance shares one drugs row
(the site's drug facet, latency by drug, the export). The map below is the one
home of those synonyms: small and curated by hand, each entry a brand or salt
name of one single-substance product. The seed schema applies it wherever a
document names a drug (registry.cases.seedschema.name_key), and the loader
keeps the name as the document gave it in the exposure's evidence (`as`).

A name not in the map is kept as given (lower case, spaces collapsed): the map
refuses nothing. Combination products are not mapped (they are not one
substance).

ATC codes (drugs.atc_code) are not filled in: no maintained list of ATC codes
ships in a Python package the registry can depend on (the WHO index is not
redistributable as such; the one PyPI package found wraps an R package that
downloads its data at run time and covers antimicrobials only), and codes are
not typed by hand. The column stays NULL until such a list exists.
"""

from __future__ import annotations

#: Brand or salt name (lower case) -> INN (lower case).
INN_SYNONYMS: dict[str, str] = {
    "gleevec": "imatinib",
    "glivec": "imatinib",
    "imatinib mesylate": "imatinib",
    "imatinib mesilate": "imatinib",
    "tegretol": "carbamazepine",
    "zyloprim": "allopurinol",
}


def inn_of(name: str) -> str:
    """The INN a (lower-case, space-collapsed) drug name stands for: itself unless the map names it."""
    return INN_SYNONYMS.get(name, name)

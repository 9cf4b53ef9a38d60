"""What the registry says about drug identity, ATC codes and genetic typing: the one wording the export's
codebook and the site's methods page both show."""

from __future__ import annotations

from registry.schema.drug_names import INN_SYNONYMS


def identity_paragraphs() -> list[str]:
    synonyms = "; ".join(f"{given} → {inn}" for given, inn in sorted(INN_SYNONYMS.items()))
    return [
        "Each drug is one substance, named by its INN in lower case. A case report that names a brand or a salt is "
        "stored under the INN, and the name it gave is kept in the exposure's evidence (the value as stated, field "
        f"drug). The synonyms the registry maps: {synonyms}. A name not listed is kept as given.",
        "ATC codes are empty for every drug: no maintained list of WHO ATC codes ships in a Python package the "
        "registry can depend on, and the registry does not type codes by hand.",
        "Pharmacogenetic typing (HLA and other genes) is recorded as each case report gives it: the gene, the allele "
        "or variant (named in full, starting with the gene), whether the patient carries it, the genotype and the "
        "method. A case without typing had none reported. Known associations between alleles and drugs are not data "
        "of the registry; a case's typing is never inferred from its drug.",
    ]

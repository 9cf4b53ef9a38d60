"""`dress-registry synth`: a deterministic synthetic registry for benchmarks.

Synthetic data are built as seed documents (registry.cases.seedschema), so
they go through the same validation and the same loader as curated files.
Every synthetic publication has article_type `synthetic`; the loader then
flags the publication and its cases `is_synthetic`, and publishing leaves
them out unless explicitly allowed.

Shape (per case, on average): about 2.5 drug exposures (one suspect, ~10% a
co-suspect, the rest concomitant), ~2 dose rows, 4-7 stated findings (the
loader adds the other core findings as not reported), ~5 lab values,
~1.5 treatments, an outcome, half with the authors' RegiSCAR score, and
1-2 evidence entries (src) per record. Suspect drugs and their indications
follow a Zipf-like distribution over real DRESS culprits; ages, sex,
country, onset and outcome details are missing at realistic rates, with the
reason (not reported / source not available) recorded as in real files.

Generation is deterministic: publication i depends only on (seed, i), so a
smaller N is a prefix of a larger one (up to the last publication's cases).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from registry.cases.documents import validate_documents
from registry.core.errors import RegistryError
from registry.ingest.seed import load_documents
from registry.schema.models import Publication
from registry.schema.vocabulary import (
    ActionTaken,
    AgeUnit,
    Analyte,
    ArticleType,
    CaseLinkRole,
    ChallengeResult,
    ChallengeType,
    DechallengeResult,
    Derivation,
    DoseChangeReason,
    DoseUnit,
    EvidenceStatus,
    ExposureRole,
    FindingCode,
    FindingStatus,
    InstrumentCode,
    InvestigationCode,
    LabUnit,
    ReactionOutcome,
    RegistryDiagnosis,
    Route,
    Sex,
    SourceAccess,
    TestResult,
    TherapyFate,
    TimeUnit,
    TreatmentCategory,
    TreatmentResponse,
)

# (name, class, route, (typical dose, unit, interval days), indications with weights)
CULPRITS: tuple[tuple[str, str, str, tuple[float, str, float], tuple[tuple[str, int], ...]], ...] = (
    ("allopurinol", "xanthine oxidase inhibitor", Route.ORAL, (300, DoseUnit.MG, 1), (("hyperuricaemia", 5), ("gout", 4), ("tumour lysis prophylaxis", 1))),
    ("carbamazepine", "aromatic anticonvulsant", Route.ORAL, (200, DoseUnit.MG, 1), (("epilepsy", 6), ("trigeminal neuralgia", 2), ("bipolar disorder", 1))),
    ("vancomycin", "glycopeptide antibiotic", Route.INTRAVENOUS, (1, DoseUnit.G, 0.5), (("osteomyelitis", 4), ("MRSA bacteraemia", 3), ("prosthetic joint infection", 2), ("endocarditis", 1))),
    ("lamotrigine", "aromatic anticonvulsant", Route.ORAL, (50, DoseUnit.MG, 1), (("epilepsy", 5), ("bipolar disorder", 4))),
    ("phenytoin", "aromatic anticonvulsant", Route.ORAL, (300, DoseUnit.MG, 1), (("epilepsy", 6), ("seizure prophylaxis after neurosurgery", 3))),
    ("sulfasalazine", "aminosalicylate (sulfonamide)", Route.ORAL, (1, DoseUnit.G, 0.5), (("rheumatoid arthritis", 5), ("ulcerative colitis", 3), ("spondyloarthritis", 1))),
    ("minocycline", "tetracycline antibiotic", Route.ORAL, (100, DoseUnit.MG, 1), (("acne vulgaris", 8), ("rosacea", 1))),
    ("sulfamethoxazole/trimethoprim", "sulfonamide antibiotic combination", Route.ORAL, (960, DoseUnit.MG, 0.5), (("urinary tract infection", 4), ("pneumocystis prophylaxis", 3), ("MRSA skin infection", 2))),
    ("dapsone", "sulfone antibacterial", Route.ORAL, (100, DoseUnit.MG, 1), (("leprosy", 3), ("dermatitis herpetiformis", 2), ("pneumocystis prophylaxis", 2))),
    ("phenobarbital", "barbiturate anticonvulsant", Route.ORAL, (100, DoseUnit.MG, 1), (("epilepsy", 8),)),
    ("oxcarbazepine", "aromatic anticonvulsant", Route.ORAL, (300, DoseUnit.MG, 0.5), (("epilepsy", 6), ("trigeminal neuralgia", 1))),
    ("piperacillin/tazobactam", "beta-lactam antibiotic combination", Route.INTRAVENOUS, (4.5, DoseUnit.G, 0.33), (("pneumonia", 4), ("intra-abdominal infection", 3), ("febrile neutropenia", 2))),
    ("ceftriaxone", "cephalosporin antibiotic", Route.INTRAVENOUS, (2, DoseUnit.G, 1), (("pneumonia", 4), ("meningitis", 2), ("osteomyelitis", 1))),
    ("rifampicin", "rifamycin antituberculous", Route.ORAL, (600, DoseUnit.MG, 1), (("tuberculosis", 8), ("prosthetic joint infection", 1))),
    ("isoniazid", "antituberculous", Route.ORAL, (300, DoseUnit.MG, 1), (("tuberculosis", 6), ("latent tuberculosis", 3))),
    ("ethambutol", "antituberculous", Route.ORAL, (1200, DoseUnit.MG, 1), (("tuberculosis", 8),)),
    ("nevirapine", "non-nucleoside reverse transcriptase inhibitor", Route.ORAL, (200, DoseUnit.MG, 1), (("HIV infection", 9),)),
    ("raltegravir", "integrase inhibitor", Route.ORAL, (400, DoseUnit.MG, 0.5), (("HIV infection", 9),)),
    ("abacavir", "nucleoside reverse transcriptase inhibitor", Route.ORAL, (600, DoseUnit.MG, 1), (("HIV infection", 9),)),
    ("mexiletine", "class IB antiarrhythmic", Route.ORAL, (300, DoseUnit.MG, 1), (("ventricular arrhythmia", 8),)),
    ("strontium ranelate", "anti-osteoporotic", Route.ORAL, (2, DoseUnit.G, 1), (("osteoporosis", 9),)),
    ("leflunomide", "pyrimidine synthesis inhibitor", Route.ORAL, (20, DoseUnit.MG, 1), (("rheumatoid arthritis", 8), ("psoriatic arthritis", 1))),
    ("imatinib", "BCR-ABL/KIT tyrosine kinase inhibitor", Route.ORAL, (400, DoseUnit.MG, 1), (("chronic myeloid leukaemia", 5), ("gastrointestinal stromal tumour", 4))),
    ("sorafenib", "multi-target tyrosine kinase inhibitor", Route.ORAL, (400, DoseUnit.MG, 0.5), (("hepatocellular carcinoma", 6), ("renal cell carcinoma", 2))),
    ("vemurafenib", "BRAF inhibitor", Route.ORAL, (960, DoseUnit.MG, 0.5), (("metastatic melanoma", 9),)),
    ("amoxicillin", "penicillin antibiotic", Route.ORAL, (500, DoseUnit.MG, 0.33), (("otitis media", 3), ("sinusitis", 3), ("pneumonia", 2))),
    ("levetiracetam", "anticonvulsant", Route.ORAL, (500, DoseUnit.MG, 0.5), (("epilepsy", 8),)),
    ("zonisamide", "sulfonamide anticonvulsant", Route.ORAL, (100, DoseUnit.MG, 1), (("epilepsy", 8),)),
    ("celecoxib", "COX-2 inhibitor", Route.ORAL, (200, DoseUnit.MG, 1), (("osteoarthritis", 6), ("rheumatoid arthritis", 2))),
    ("ibuprofen", "non-steroidal anti-inflammatory drug", Route.ORAL, (400, DoseUnit.MG, 0.33), (("pain", 5), ("fever", 2))),
    ("valproic acid", "anticonvulsant", Route.ORAL, (500, DoseUnit.MG, 0.5), (("epilepsy", 6), ("bipolar disorder", 3))),
    ("olanzapine", "atypical antipsychotic", Route.ORAL, (10, DoseUnit.MG, 1), (("schizophrenia", 6), ("bipolar disorder", 3))),
    ("hydroxychloroquine", "antimalarial", Route.ORAL, (200, DoseUnit.MG, 0.5), (("systemic lupus erythematosus", 5), ("rheumatoid arthritis", 4))),
    ("sulfadiazine", "sulfonamide antibiotic", Route.ORAL, (1, DoseUnit.G, 0.25), (("toxoplasmosis", 9),)),
    ("meropenem", "carbapenem antibiotic", Route.INTRAVENOUS, (1, DoseUnit.G, 0.33), (("febrile neutropenia", 4), ("intra-abdominal infection", 3))),
    ("cefepime", "cephalosporin antibiotic", Route.INTRAVENOUS, (2, DoseUnit.G, 0.5), (("febrile neutropenia", 5), ("pneumonia", 3))),
    ("linezolid", "oxazolidinone antibiotic", Route.ORAL, (600, DoseUnit.MG, 0.5), (("MRSA pneumonia", 5), ("osteomyelitis", 3))),
    ("daptomycin", "lipopeptide antibiotic", Route.INTRAVENOUS, (6, DoseUnit.MG_PER_KG, 1), (("MRSA bacteraemia", 5), ("endocarditis", 3))),
    ("omeprazole", "proton pump inhibitor", Route.ORAL, (20, DoseUnit.MG, 1), (("gastro-oesophageal reflux", 6), ("peptic ulcer", 3))),
    ("spironolactone", "aldosterone antagonist", Route.ORAL, (25, DoseUnit.MG, 1), (("heart failure", 6), ("hypertension", 2))),
)
ZIPF_S = 1.1

CONCOMITANTS: tuple[tuple[str, str, str, tuple[float, str, float], str], ...] = (
    ("amlodipine", "calcium channel blocker", Route.ORAL, (5, DoseUnit.MG, 1), "hypertension"),
    ("metformin", "biguanide", Route.ORAL, (500, DoseUnit.MG, 0.5), "type 2 diabetes"),
    ("atorvastatin", "statin", Route.ORAL, (20, DoseUnit.MG, 1), "hyperlipidaemia"),
    ("aspirin", "antiplatelet", Route.ORAL, (100, DoseUnit.MG, 1), "secondary prevention"),
    ("lisinopril", "ACE inhibitor", Route.ORAL, (10, DoseUnit.MG, 1), "hypertension"),
    ("levothyroxine", "thyroid hormone", Route.ORAL, (50, DoseUnit.UG, 1), "hypothyroidism"),
    ("paracetamol", "analgesic", Route.ORAL, (1, DoseUnit.G, 0.25), "pain"),
    ("furosemide", "loop diuretic", Route.ORAL, (40, DoseUnit.MG, 1), "oedema"),
    ("pantoprazole", "proton pump inhibitor", Route.ORAL, (40, DoseUnit.MG, 1), "gastric protection"),
    ("enoxaparin", "low-molecular-weight heparin", Route.SUBCUTANEOUS, (40, DoseUnit.MG, 1), "thromboprophylaxis"),
    ("insulin glargine", "long-acting insulin", Route.SUBCUTANEOUS, (20, DoseUnit.IU, 1), "diabetes mellitus"),
    ("bisoprolol", "beta blocker", Route.ORAL, (5, DoseUnit.MG, 1), "atrial fibrillation"),
)

TREATMENTS: tuple[tuple[str | None, str, str, float, str, float, str], ...] = (
    # drug, class, category, probability, route, typical dose, dose unit
    ("prednisolone", "systemic corticosteroid", TreatmentCategory.SYSTEMIC_CORTICOSTEROID, 0.70, Route.ORAL, 60, DoseUnit.MG),
    ("methylprednisolone", "systemic corticosteroid", TreatmentCategory.SYSTEMIC_CORTICOSTEROID, 0.18, Route.INTRAVENOUS, 500, DoseUnit.MG),
    ("clobetasol", "topical corticosteroid", TreatmentCategory.TOPICAL_CORTICOSTEROID, 0.30, Route.TOPICAL, 0, ""),
    ("cetirizine", "H1 antihistamine", TreatmentCategory.ANTIHISTAMINE, 0.20, Route.ORAL, 10, DoseUnit.MG),
    ("immunoglobulin", "intravenous immunoglobulin", TreatmentCategory.IVIG, 0.04, Route.INTRAVENOUS, 2, DoseUnit.G),
    ("cyclosporine", "calcineurin inhibitor", TreatmentCategory.IMMUNOSUPPRESSANT, 0.03, Route.ORAL, 3, DoseUnit.MG_PER_KG),
    ("mepolizumab", "anti-IL-5 monoclonal antibody", TreatmentCategory.ANTI_IL5, 0.02, Route.SUBCUTANEOUS, 100, DoseUnit.MG),
    (None, "", TreatmentCategory.SUPPORTIVE, 0.15, "", 0, ""),
)

COUNTRIES = (("US", 20), ("FR", 12), ("JP", 11), ("KR", 9), ("CN", 8), ("IN", 8), ("ES", 5), ("IT", 5),
             ("DE", 4), ("GB", 4), ("TR", 3), ("TN", 3), ("BR", 2), ("TW", 3), ("CA", 2), ("AU", 2), ("NL", 1))
JOURNALS = (("Case Rep Dermatol", 8), ("J Dermatol", 5), ("BMJ Case Rep", 8), ("Cureus", 10), ("Am J Case Rep", 5),
            ("J Allergy Clin Immunol Pract", 3), ("Ann Pharmacother", 3), ("Clin Case Rep", 5), ("Dermatol Ther", 2),
            ("Allergol Int", 2), ("Epilepsia", 1), ("J Antimicrob Chemother", 1), ("Medicine (Baltimore)", 4))
SURNAMES = ("Smith", "Martin", "Kim", "Lee", "Park", "Wang", "Li", "Tanaka", "Suzuki", "Garcia", "Rossi", "Muller",
            "Dubois", "Sharma", "Patel", "Nguyen", "Yilmaz", "Ben Salem", "Silva", "Chen", "Sato", "Brown", "Lopez")

# (analyte, unit, ref range, log-normal median and spread of the value)
LABS = (
    (Analyte.EOSINOPHILS_ABS, LabUnit.PER_UL, (0, 500), 2200, 0.6),
    (Analyte.ALT, LabUnit.U_PER_L, (0, 40), 180, 0.9),
    (Analyte.AST, LabUnit.U_PER_L, (0, 40), 140, 0.9),
    (Analyte.CREATININE, LabUnit.MG_PER_DL, (0.5, 1.2), 1.4, 0.5),
    (Analyte.CRP, LabUnit.MG_PER_L, (0, 5), 60, 0.8),
    (Analyte.LEUKOCYTES, LabUnit.E9_PER_L, (4, 10), 14, 0.4),
    (Analyte.EOSINOPHILS_PCT, LabUnit.PERCENT, (0, 5), 18, 0.5),
    (Analyte.ATYPICAL_LYMPHOCYTES_PCT, LabUnit.PERCENT, (0, 0), 6, 0.5),
    (Analyte.ALP, LabUnit.U_PER_L, (40, 130), 220, 0.6),
    (Analyte.LDH, LabUnit.U_PER_L, (120, 250), 480, 0.5),
)
LAB_WEIGHTS = (10, 8, 7, 5, 5, 4, 3, 2, 2, 1)

FINDINGS = (  # finding, probability it is stated, probability present when stated
    (FindingCode.RASH, 0.97, 0.99), (FindingCode.FEVER, 0.90, 0.88), (FindingCode.FACIAL_OEDEMA, 0.55, 0.75), (FindingCode.LYMPHADENOPATHY, 0.60, 0.65),
    (FindingCode.ORGAN_LIVER, 0.80, 0.85), (FindingCode.ORGAN_KIDNEY, 0.45, 0.55), (FindingCode.EOSINOPHILIA, 0.70, 0.95),
    (FindingCode.ATYPICAL_LYMPHOCYTES, 0.25, 0.7), (FindingCode.ORGAN_LUNG, 0.2, 0.4), (FindingCode.SKIN_BIOPSY_SUGGESTIVE, 0.3, 0.8),
    (FindingCode.PRURITUS, 0.2, 0.9),
)
DIAGNOSES = (("DRESS", 8), ("DRESS syndrome", 5), ("DIHS", 2), ("drug-induced hypersensitivity syndrome", 1),
             ("DRESS, probable by RegiSCAR", 2))
LOCATORS = ("Case Presentation, para 1", "Case Presentation, para 2", "Abstract", "Table 1", "Discussion, para 1",
            "Figure 1", "Case Report")


def _zipf_weights(n: int, s: float = ZIPF_S) -> list[float]:
    return [1 / (k ** s) for k in range(1, n + 1)]


_CULPRIT_WEIGHTS = _zipf_weights(len(CULPRITS))


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _src(rng: random.Random, field: str | None = None, stated: str | None = None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"at": rng.choice(LOCATORS)}
    if field:
        s["field"] = field
    if stated is not None:
        s["as"] = str(stated)[:300]
    s.update(extra)
    return s


def _srcs(rng: random.Random, field: str | None = None, stated: str | None = None) -> list[dict[str, Any]]:
    """One evidence entry, sometimes two (abstract and body agreeing)."""
    out = [_src(rng, field, stated)]
    if rng.random() < 0.25:
        second = _src(rng, field, stated)
        if second["at"] != out[0]["at"]:
            out.append(second)
    return out


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def _num(x: float) -> float | int:
    """Round to something a paper would print."""
    if x >= 100:
        return int(round(x, -1))
    if x >= 10:
        return int(round(x))
    return round(x, 1) or 0.1


def _dose(rng: random.Random, typical: tuple[float, str, float], start: int | None, stop: int | None,
          reason: str, factor: float = 1.0) -> dict[str, Any]:
    value, unit, interval = typical
    d: dict[str, Any] = {"reason": reason}
    if rng.random() < 0.9:
        v = _num(value * factor * rng.choice((0.5, 1, 1, 1, 1, 2)))
        d.update(dose_value=v, dose_unit=unit)
        if interval >= 1:
            d.update(interval_value=interval, interval_unit=TimeUnit.DAYS)
        else:
            d.update(interval_value=round(interval * 24), interval_unit=TimeUnit.HOURS)
        label = f"{v:g} {unit}"
    else:
        label = "dose not given"
    if start is not None:
        d["start_day"] = start
    if stop is not None and (start is None or stop >= start):
        d["stop_day"] = stop
    d["src"] = _srcs(rng, None, label)
    return d


def _case(rng: random.Random, key: str, unstated: str, year: int) -> dict[str, Any]:
    ci = rng.choices(range(len(CULPRITS)), weights=_CULPRIT_WEIGHTS)[0]
    drug, dclass, route, typical, indications = CULPRITS[ci]
    indication = _pick(rng, indications)
    latency = max(2, min(120, int(_lognormal(rng, 24, 0.45))))
    onset = latency if rng.random() < 0.85 else None
    c: dict[str, Any] = {"key": key, "label_in_source": "the patient", "unstated": unstated}
    src: list[dict[str, Any]] = []
    missing: dict[str, Any] = {}

    if rng.random() < 0.85:
        if rng.random() < 0.06:
            age = rng.randint(2, 17)
        else:
            age = max(18, min(95, int(rng.gauss(52, 17))))
        c.update(age_value=age, age_unit=AgeUnit.YEARS)
        if rng.random() < 0.05:
            c["age_is_approximate"] = True
        src.append(_src(rng, "age_value", f"{age}-year-old"))
    elif rng.random() < 0.3:
        missing["age_value"] = {"status": EvidenceStatus.NOT_AVAILABLE, "note": "Age is in the part of the article we could not read."}
    sex = None
    if rng.random() < 0.92:
        sex = Sex.FEMALE if rng.random() < 0.53 else Sex.MALE
        c["sex"] = sex
        src.append(_src(rng, "sex", sex))
    if rng.random() < 0.85:
        country = _pick(rng, COUNTRIES)
        c["country"] = country
        src.append(_src(rng, "country", country, how=Derivation.INFERRED, note="From the authors' hospital."))
    if rng.random() < 0.9:
        dx = _pick(rng, DIAGNOSES)
        c["diagnosis_as_reported"] = f"{drug}-induced {dx}"
        src.append(_src(rng, "diagnosis_as_reported", dx))
    c["registry_diagnosis"] = rng.choices((RegistryDiagnosis.DRESS, RegistryDiagnosis.DRESS_OVERLAP, RegistryDiagnosis.UNCERTAIN, None), weights=(80, 5, 10, 5))[0]
    c["day1_anchor"] = f"first dose of {drug}"
    if onset is not None:
        c["onset_day"] = onset
        approx = rng.random() < 0.3
        if approx:
            c["onset_is_approximate"] = True
        src.append(_src(rng, "onset_day", f"{latency} days after starting {drug}" if not approx else f"about {round(latency / 7)} weeks later",
                        **({"how": Derivation.CALCULATED} if approx else {})))

    # -- exposures -----------------------------------------------------------------
    stop = (onset or latency) + rng.randint(0, 4)
    action = rng.choices((ActionTaken.WITHDRAWN, ActionTaken.DOSE_REDUCED, ActionTaken.DOSE_NOT_CHANGED, None), weights=(85, 5, 4, 6))[0]
    dechallenge = rng.choices((DechallengeResult.POSITIVE, DechallengeResult.PARTIAL, DechallengeResult.NEGATIVE, None), weights=(70, 10, 4, 16))[0]
    suspect: dict[str, Any] = {"drug": drug, "role": ExposureRole.SUSPECT, "route": route}
    if rng.random() < 0.9:
        suspect["indication"] = indication
    if rng.random() < 0.9:
        suspect["start_day"] = 1
    if action:
        suspect["action_taken"] = action
    if dechallenge:
        suspect["dechallenge_result"] = dechallenge
    if action == ActionTaken.WITHDRAWN and "start_day" in suspect:
        suspect["stop_day"] = stop
    suspect["src"] = _srcs(rng, None, f"{drug} for {indication}")
    doses = [_dose(rng, typical, suspect.get("start_day"), suspect.get("stop_day") if rng.random() < 0.6 else None, DoseChangeReason.INITIAL)]
    if rng.random() < 0.35:
        doses.append(_dose(rng, typical, None, None, rng.choice((DoseChangeReason.ESCALATION_PROGRESSION, DoseChangeReason.REDUCTION_TOXICITY, DoseChangeReason.RESTART)), 1.5))
    if rng.random() < 0.10:
        doses.append(_dose(rng, typical, None, None, DoseChangeReason.OTHER, 2))
    suspect["doses"] = doses
    if rng.random() < 0.12:
        suspect["challenges"] = [_challenge(rng, typical, stop)]
    exposures = [suspect]
    used = {drug}
    if rng.random() < 0.10:
        cj = rng.choices(range(len(CULPRITS)), weights=_CULPRIT_WEIGHTS)[0]
        co = CULPRITS[cj]
        if co[0] not in used:
            used.add(co[0])
            # started by the onset at the latest (days count from the first dose of every suspect); the one draw
            # keeps every other case of the publication as it was
            start = rng.randint(-30, 10)
            x = {"drug": co[0], "role": ExposureRole.CO_SUSPECT, "route": co[2], "indication": _pick(rng, co[4]),
                 "start_day": start if onset is None else min(start, onset), "src": _srcs(rng, None, co[0])}
            x["doses"] = [_dose(rng, co[3], x["start_day"], None, DoseChangeReason.INITIAL)]
            if rng.random() < 0.8:
                x["action_taken"] = ActionTaken.WITHDRAWN
            exposures.append(x)
    n_con = rng.choices((0, 1, 2, 3, 4), weights=(25, 30, 22, 15, 8))[0]
    for cm in rng.sample(CONCOMITANTS, n_con):
        if cm[0] in used:
            continue
        used.add(cm[0])
        x = {"drug": cm[0], "role": ExposureRole.CONCOMITANT, "route": cm[2], "indication": cm[4], "src": _srcs(rng, None, cm[0])}
        if rng.random() < 0.6:
            x["doses"] = [_dose(rng, cm[3], None, None, DoseChangeReason.INITIAL)]
        exposures.append(x)
    c["exposures"] = exposures

    # -- findings, investigations, labs ---------------------------------------------
    findings = []
    for name, p_stated, p_present in FINDINGS:
        if rng.random() < p_stated:
            status = FindingStatus.PRESENT if rng.random() < p_present else FindingStatus.ABSENT
            f: dict[str, Any] = {"finding": name, "status": status}
            if status == FindingStatus.PRESENT and name in (FindingCode.RASH, FindingCode.FEVER, FindingCode.FACIAL_OEDEMA) and onset is not None:
                f["day"] = onset + rng.randint(0, 2)
            f["src"] = [_src(rng, None, status)]
            findings.append(f)
    c["findings"] = findings
    invs = []
    for test in rng.sample((InvestigationCode.HHV6, InvestigationCode.EBV, InvestigationCode.CMV, InvestigationCode.HBV, InvestigationCode.HCV, InvestigationCode.ANA, InvestigationCode.HIV), rng.choices((0, 1, 2, 3), weights=(40, 25, 20, 15))[0]):
        result = rng.choices((TestResult.POSITIVE, TestResult.NEGATIVE), weights=(35 if test == InvestigationCode.HHV6 else 8, 65))[0]
        invs.append({"test": test, "result": result, "src": [_src(rng, None, result)]})
    c["investigations"] = invs
    labs = []
    n_labs = rng.choices((2, 3, 4, 5, 6, 7, 8), weights=(5, 10, 20, 25, 20, 12, 8))[0]
    for li in sorted(rng.choices(range(len(LABS)), weights=LAB_WEIGHTS, k=n_labs)):
        analyte, unit, (lo, hi), median, sigma = LABS[li]
        value = _num(_lognormal(rng, median, sigma))
        lab: dict[str, Any] = {"analyte": analyte, "value": value, "unit": unit}
        if rng.random() < 0.5 and hi > lo:
            lab.update(ref_low=lo, ref_high=hi)
        if onset is not None and rng.random() < 0.6:
            lab["day"] = onset + rng.randint(0, 10)
        lab["src"] = [_src(rng, None, f"{value:g} {unit}")]
        labs.append(lab)
    c["labs"] = labs

    # -- treatments, outcome, assessments ---------------------------------------------
    treatments = []
    steroid = False
    for tdrug, _cls, cat, p, troute, tdose, tunit in TREATMENTS:
        if cat == TreatmentCategory.SYSTEMIC_CORTICOSTEROID and steroid:
            continue
        if rng.random() < p:
            steroid |= cat == TreatmentCategory.SYSTEMIC_CORTICOSTEROID
            t: dict[str, Any] = {"category": cat}
            if tdrug:
                t["drug"] = tdrug
            if tdose and rng.random() < 0.7:
                t.update(dose_value=_num(tdose * rng.choice((0.5, 1, 1, 1.5))), dose_unit=tunit)
            if troute:
                t["route"] = troute
            if onset is not None and rng.random() < 0.6:
                t["start_day"] = onset + rng.randint(1, 7)
            t["response"] = rng.choices((TreatmentResponse.RESOLVED, TreatmentResponse.IMPROVED, TreatmentResponse.NO_CHANGE, TreatmentResponse.RELAPSED, None), weights=(40, 35, 5, 8, 12))[0]
            t["src"] = [_src(rng, None, tdrug or cat)]
            treatments.append(t)
    c["treatments"] = treatments
    if rng.random() < 0.93:
        oc = rng.choices((ReactionOutcome.RECOVERED, ReactionOutcome.RECOVERING, ReactionOutcome.RECOVERED_WITH_SEQUELAE, ReactionOutcome.NOT_RECOVERED, ReactionOutcome.FATAL, ReactionOutcome.UNKNOWN, None),
                         weights=(70, 8, 5, 2, 5, 2, 8))[0]
        out: dict[str, Any] = {}
        if oc:
            out["reaction_outcome"] = oc
            out["death"] = oc == ReactionOutcome.FATAL
        if oc in (ReactionOutcome.RECOVERED, ReactionOutcome.RECOVERED_WITH_SEQUELAE) and rng.random() < 0.6:
            out["time_to_resolution_days"] = max(3, int(_lognormal(rng, 30, 0.6)))
        if rng.random() < 0.5:
            out["follow_up_days"] = int(_lognormal(rng, 120, 0.7))
        fate = rng.choices((TherapyFate.STOPPED, TherapyFate.SWITCHED, TherapyFate.CONTINUED, TherapyFate.RESUMED_REDUCED_DOSE, None), weights=(65, 15, 4, 3, 13))[0]
        if fate:
            out["therapy_fate"] = fate
        if fate == TherapyFate.SWITCHED:
            alt = CULPRITS[rng.randrange(len(CULPRITS))][0]
            if alt != drug:
                out["switched_to"] = alt
        out["src"] = _srcs(rng, "reaction_outcome" if oc else None, oc or "outcome paragraph")
        if "time_to_resolution_days" not in out and rng.random() < 0.2:
            out["missing"] = {"time_to_resolution_days": {"status": unstated, "note": "No day or duration given."}}
        c["outcome"] = out
    assessments = []
    if rng.random() < 0.5:
        total = rng.choices(range(-1, 10), weights=(1, 1, 3, 5, 8, 10, 10, 8, 6, 3, 1))[0]
        cat = "no case" if total < 2 else "possible" if total < 4 else "probable" if total < 6 else "definite"
        a: dict[str, Any] = {"instrument": InstrumentCode.REGISCAR_DRESS, "total": total, "category": cat,
                             "src": [_src(rng, None, f"{cat}, score {total}")]}
        if rng.random() < 0.3:
            a["items"] = [{"item": "fever", "answer": "yes", "points": 0}, {"item": "eosinophilia", "answer": ">=1500", "points": 2}]
        assessments.append(a)
    if rng.random() < 0.15:
        total = rng.randint(1, 10)
        cat = "possible" if total < 5 else "probable" if total < 9 else "definite"
        assessments.append({"instrument": InstrumentCode.NARANJO, "exposure_drug": drug, "total": total, "category": cat,
                            "src": [_src(rng, None, f"Naranjo {total}")]})
    c["assessments"] = assessments
    if src:
        c["src"] = src
    if missing:
        c["missing"] = missing
    c["summary"] = (
        f"Synthetic case ({year}): {c.get('age_value', 'unknown-age')} {sex or 'patient'} given {drug} "
        f"for {indication}; DRESS {'after ' + str(latency) + ' days' if onset else 'at an unstated time'}."
    )
    return c


def _challenge(rng: random.Random, typical: tuple[float, str, float], stop: int) -> dict[str, Any]:
    kind = rng.choices((ChallengeType.RECHALLENGE, ChallengeType.DESENSITISATION, ChallengeType.REINTRODUCTION, ChallengeType.CONTINUED_THROUGH), weights=(50, 25, 15, 10))[0]
    h: dict[str, Any] = {"challenge_type": kind}
    if rng.random() < 0.6:
        h["start_day"] = stop + rng.randint(14, 120)
    if kind == ChallengeType.DESENSITISATION:
        h["premedication"] = "antihistamine and low-dose prednisolone"
        value, unit, _ = typical
        fractions = (0.0625, 0.125, 0.25, 0.5, 1.0)
        h["steps"] = [{"protocol_day": 1 + i // 3, "dose_value": _num(value * f), "dose_unit": unit,
                       **({"interval_minutes": 30} if i % 3 else {})} for i, f in enumerate(fractions)]
        result = rng.choices((ChallengeResult.TOLERATED, ChallengeResult.RECURRENCE, None), weights=(60, 30, 10))[0]
    else:
        result = rng.choices((ChallengeResult.RECURRENCE, ChallengeResult.TOLERATED, ChallengeResult.INCONCLUSIVE, None), weights=(70, 15, 5, 10))[0]
    if result:
        h["result"] = result
        if result == ChallengeResult.RECURRENCE and rng.random() < 0.7:
            h["time_to_recurrence_days"] = rng.randint(0, 14)
    h["src"] = [_src(rng, "result" if result else None, result or kind)]
    return h


def publication_key(seed: int, index: int) -> str:
    return f"synth{seed}-{index:07d}"


def _publication(seed: int, index: int, n_cases: int) -> dict[str, Any]:
    rng = random.Random(seed * 1_000_003 + index)
    key = publication_key(seed, index)
    year = min(2025, max(1995, int(2025 - abs(rng.gauss(0, 8)))))
    access = SourceAccess.FULL_TEXT if rng.random() < 0.8 else SourceAccess.ABSTRACT_ONLY
    unstated = EvidenceStatus.NOT_REPORTED if access == SourceAccess.FULL_TEXT else EvidenceStatus.NOT_AVAILABLE
    n_authors = rng.randint(1, 6)
    authors = ", ".join(f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFGHJKLMNPRST')}{rng.choice('ABCDEFGHJKLMNPRST')}" for _ in range(n_authors))
    kind = "series" if n_cases > 1 else "report"
    pub: dict[str, Any] = {
        "key": key, "authors": f"{authors} (synthetic)",
        "title": f"Synthetic DRESS case {kind} {index}: not real patients",
        "journal": _pick(rng, JOURNALS), "year": year, "volume": str(rng.randint(1, 80)),
        "pages": f"{(p := rng.randint(1, 2000))}-{p + rng.randint(2, 9)}",
        "doi": f"10.5555/synth.{seed}.{index}", "language": "en", "article_type": ArticleType.SYNTHETIC,
        "source_access": access,
        "notes": "Generated by `dress-registry synth` for benchmarks; never real data.",
        "src": [{"at": "generator", "field": "doi", "as": f"10.5555/synth.{seed}.{index}"}],
    }
    doc: dict[str, Any] = {"publication": pub}
    if index > 1 and rng.random() < 0.2:
        cited = sorted({rng.randint(1, index - 1) for _ in range(rng.randint(1, 3))})
        doc["cites"] = [{"pub": publication_key(seed, j), "reference_number": n, "context": "Discussion: an earlier report"}
                        for n, j in enumerate(cited, start=1)]
    cases = [_case(rng, f"{key}-{k}", unstated, year) for k in range(1, n_cases + 1)]
    if index > 1 and rng.random() < 0.03:
        cases[0]["links"] = [{"pub": publication_key(seed, rng.randint(1, index - 1)), "role": CaseLinkRole.LATER_REPORT,
                              "label": "earlier report of the same patient"}]
    doc["cases"] = cases
    # No `drugs:` list: drug classes are curated facts, and synthetic data must never change
    # the rows of real drugs it shares (a class given here would overwrite or fill one in).
    return doc


def _cases_in(seed: int, index: int) -> int:
    rng = random.Random(seed * 7_919 + index)
    return rng.choices((1, 2, 3, 4, 6), weights=(82, 9, 4, 3, 2))[0]


def synth_raw(n_cases: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Raw seed documents (plain dicts, as read from YAML) holding n_cases cases in all."""
    left, index = n_cases, 0
    while left > 0:
        index += 1
        n = min(left, _cases_in(seed, index))
        left -= n
        yield _publication(seed, index, n)


def synth_documents(n_cases: int, seed: int = 0) -> list:
    """Validated documents (registry.cases.documents.Document), ready for load_documents."""
    return validate_documents((f"synth:{raw['publication']['key']}", raw) for raw in synth_raw(n_cases, seed))


class _YamlDumper(yaml.SafeDumper):
    """safe_dump's dumper, writing vocabulary constants (StrEnum members) as the plain codes they are."""


_YamlDumper.add_multi_representer(StrEnum, yaml.SafeDumper.represent_str)


def write_documents(raws: Iterator[dict[str, Any]], out: Path) -> int:
    """Write raw documents: .jsonl (one per line), .json (a list) or .yaml/.yml (a YAML stream)."""
    n = 0
    suffix = out.suffix.lower()
    with out.open("w", encoding="utf-8") as fh:
        if suffix == ".jsonl":
            for raw in raws:
                fh.write(json.dumps(raw, ensure_ascii=False) + "\n")
                n += 1
        elif suffix == ".json":
            fh.write("[\n")
            for raw in raws:
                fh.write(("," if n else "") + json.dumps(raw, ensure_ascii=False) + "\n")
                n += 1
            fh.write("]\n")
        elif suffix in (".yaml", ".yml"):
            for raw in raws:
                fh.write("---\n")
                yaml.dump(raw, fh, Dumper=_YamlDumper, allow_unicode=True, sort_keys=False)
                n += 1
        else:
            raise RegistryError(f"{out}: unknown format {suffix!r} (use .jsonl, .json, .yaml or .yml)")
    return n


def synth_batches(n_cases: int, seed: int, batch: int) -> Iterator[list[tuple[str, dict]]]:
    raws: list = []
    count = 0
    for raw in synth_raw(n_cases, seed):
        raws.append((f"synth:{raw['publication']['key']}", raw))
        count += len(raw["cases"])
        if count >= batch:
            yield raws
            raws, count = [], 0
    if raws:
        yield raws


def load_raw(conn, raws: list[tuple[str, dict]]):
    """Validate and load one batch of raw documents (prune=False); cross-references may
    point at publications already in the database (an earlier batch)."""
    ours = {raw["publication"]["key"] for _, raw in raws}
    wanted = {c["pub"] for _, raw in raws for c in raw.get("cites", ())}
    wanted |= {ln["pub"] for _, raw in raws for case in raw.get("cases", ()) for ln in case.get("links", ())}
    outside = sorted(wanted - ours)
    known: set[str] = set()
    for i in range(0, len(outside), 5000):
        known |= set(conn.execute(select(Publication.key).where(Publication.key.in_(outside[i:i + 5000]))).scalars())
    return load_documents(conn, validate_documents(raws, known), prune=False)

"""Controlled vocabularies, defined once.

Every coded column in the registry points (by foreign key) at one of the
small lookup tables generated from this module; the same definitions feed
validation of seed and import files, the published site's labels and the
export codebook. Where ICH E2B(R3) or FAERS/openFDA define a code list we
follow it and keep both codings (`e2b_r3`, `openfda`): openFDA still uses the
older R2 numbering (e.g. outcome "unknown" is 6 there, 0 in R3).

Missing data is *not* a vocabulary value here, except for findings, where the
status itself is the fact: a coded column is NULL when the value is unknown,
and the evidence table records why (not reported by the source, or source not
available to us).

Code elsewhere names a code through its vocabulary's `StrEnum`
(`EvidenceStatus.NOT_REPORTED == "not_reported"`), never as a bare string:
each enum lists its vocabulary's codes, in order, and the terms are built on
its members, so a code is written once (tests/test_vocabulary.py holds code
outside this module to that). A member is a `str` equal to its code; `Term.code`
and `Vocabulary.codes` are plain `str`. Facts about a term that code relies
on (which statuses mean "missing" and their export cell code, which drug
roles are suspects, unit factors) are attributes of the term, and the
constants at the end of the module are derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    definition: str
    e2b_r3: str | None = None
    openfda: str | None = None
    category: str | None = None
    #: The code says that a fact is unknown, and why, instead of what it is
    #: (finding and evidence statuses not_reported / not_available).
    missing: bool = False
    #: What an export cell holds for a NULL whose evidence has this status (NR, NA-SRC).
    missing_code: str | None = None
    #: A drug with this role is a suspect of the reaction.
    suspect: bool = False
    #: Factor from this unit to cells per µL, for units of a cell count.
    per_ul: float | None = None
    #: Length of one of this unit in years, for age units.
    years: float | None = None

    def __post_init__(self) -> None:
        # Terms are built on enum members; what they hand out is the plain string.
        object.__setattr__(self, "code", str(self.code))


@dataclass(frozen=True)
class Vocabulary:
    name: str
    title: str
    description: str
    source: str
    terms: tuple[Term, ...] = field(default_factory=tuple)

    @property
    def table(self) -> str:
        return f"vocab_{self.name}"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    def label(self, code: str | None) -> str | None:
        for t in self.terms:
            if t.code == code:
                return t.label
        return None

    def term(self, code: str) -> Term:
        for t in self.terms:
            if t.code == code:
                return t
        raise KeyError(code)


# ---------------------------------------------------------------------------
# The codes of each vocabulary, in order. Class names are the vocabulary's name
# in CamelCase, with Code added where that would be a model class's name.


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class AgeUnit(StrEnum):
    YEARS = "a"
    MONTHS = "mo"
    WEEKS = "wk"
    DAYS = "d"


class ArticleType(StrEnum):
    CASE_REPORT = "case_report"
    CASE_SERIES = "case_series"
    LETTER = "letter"
    REVIEW = "review"
    CONFERENCE_ABSTRACT = "conference_abstract"
    SYNTHETIC = "synthetic"


class SourceAccess(StrEnum):
    FULL_TEXT = "full_text"
    PARTIAL_TEXT = "partial_text"
    ABSTRACT_ONLY = "abstract_only"
    CITATION_ONLY = "citation_only"


class CaseLinkRole(StrEnum):
    PRIMARY_REPORT = "primary_report"
    LATER_REPORT = "later_report"
    REVIEW_SUMMARY = "review_summary"


class RegistryDiagnosis(StrEnum):
    DRESS = "dress"
    DRESS_OVERLAP = "dress_overlap"
    UNCERTAIN = "uncertain"
    NOT_DRESS = "not_dress"


class ExposureRole(StrEnum):
    SUSPECT = "suspect"
    CO_SUSPECT = "co_suspect"
    INTERACTING = "interacting"
    CONCOMITANT = "concomitant"
    PRIOR = "prior"
    TREATMENT_OF_REACTION = "treatment_of_reaction"
    PREMEDICATION = "premedication"
    ALTERNATIVE_AFTER_SWITCH = "alternative_after_switch"


class Route(StrEnum):
    ORAL = "oral"
    INTRAVENOUS = "intravenous"
    SUBCUTANEOUS = "subcutaneous"
    INTRAMUSCULAR = "intramuscular"
    TOPICAL = "topical"
    OTHER = "other"


class ActionTaken(StrEnum):
    WITHDRAWN = "withdrawn"
    DOSE_REDUCED = "dose_reduced"
    DOSE_INCREASED = "dose_increased"
    DOSE_NOT_CHANGED = "dose_not_changed"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


class DechallengeResult(StrEnum):
    POSITIVE = "positive"
    PARTIAL = "partial"
    NEGATIVE = "negative"
    NOT_DONE = "not_done"


class ChallengeType(StrEnum):
    RECHALLENGE = "rechallenge"
    REINTRODUCTION = "reintroduction"
    DESENSITISATION = "desensitisation"
    CONTINUED_THROUGH = "continued_through"


class ChallengeResult(StrEnum):
    RECURRENCE = "recurrence"
    TOLERATED = "tolerated"
    INCONCLUSIVE = "inconclusive"


class DoseUnit(StrEnum):
    MG = "mg"
    G = "g"
    UG = "ug"
    MG_PER_KG = "mg/kg"
    MG_PER_M2 = "mg/m2"
    IU = "[iU]"
    G_PER_KG = "g/kg"


class TimeUnit(StrEnum):
    MINUTES = "min"
    HOURS = "h"
    DAYS = "d"
    WEEKS = "wk"
    MONTHS = "mo"


class DoseChangeReason(StrEnum):
    INITIAL = "initial"
    RESTART = "restart"
    DESENSITISATION_TARGET = "desensitisation_target"
    ESCALATION_PROGRESSION = "escalation_progression"
    REDUCTION_TOXICITY = "reduction_toxicity"
    TREATMENT_COURSE = "treatment_course"
    OTHER = "other"


class FindingCode(StrEnum):
    """Codes of the `finding` vocabulary (the model class is registry.schema.models.Finding)."""

    FEVER = "fever"
    RASH = "rash"
    RASH_EXTENT_GT50 = "rash_extent_gt50"
    FACIAL_OEDEMA = "facial_oedema"
    INFILTRATION = "infiltration"
    PURPURA = "purpura"
    DESQUAMATION = "desquamation"
    PRURITUS = "pruritus"
    MUCOSAL_INVOLVEMENT = "mucosal_involvement"
    LYMPHADENOPATHY = "lymphadenopathy"
    ATYPICAL_LYMPHOCYTES = "atypical_lymphocytes"
    EOSINOPHILIA = "eosinophilia"
    SKIN_BIOPSY_SUGGESTIVE = "skin_biopsy_suggestive"
    ORGAN_LIVER = "organ_liver"
    ORGAN_KIDNEY = "organ_kidney"
    ORGAN_LUNG = "organ_lung"
    ORGAN_HEART = "organ_heart"
    ORGAN_MUSCLE = "organ_muscle"
    ORGAN_PANCREAS = "organ_pancreas"
    ORGAN_OTHER = "organ_other"


class FindingStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    NOT_DONE = "not_done"
    NOT_REPORTED = "not_reported"
    NOT_AVAILABLE = "not_available"


class InvestigationCode(StrEnum):
    """Codes of the `investigation` vocabulary (the model class is registry.schema.models.Investigation)."""

    ANA = "ana"
    BLOOD_CULTURE = "blood_culture"
    HAV = "hav"
    HBV = "hbv"
    HCV = "hcv"
    HIV = "hiv"
    MYCOPLASMA = "mycoplasma"
    CHLAMYDIA = "chlamydia"
    HHV6 = "hhv6"
    HHV7 = "hhv7"
    EBV = "ebv"
    CMV = "cmv"
    HSV = "hsv"
    VZV = "vzv"
    LTT = "ltt"
    PATCH_TEST = "patch_test"
    SKIN_PRICK_TEST = "skin_prick_test"
    INTRADERMAL_TEST = "intradermal_test"


class TestResult(StrEnum):
    __test__ = False  # not a pytest test class, whatever its name

    POSITIVE = "positive"
    NEGATIVE = "negative"
    BORDERLINE = "borderline"
    INCONCLUSIVE = "inconclusive"


class Analyte(StrEnum):
    EOSINOPHILS_ABS = "eosinophils_abs"
    EOSINOPHILS_PCT = "eosinophils_pct"
    LEUKOCYTES = "leukocytes"
    LYMPHOCYTES_ABS = "lymphocytes_abs"
    LYMPHOCYTES_PCT = "lymphocytes_pct"
    ATYPICAL_LYMPHOCYTES_PCT = "atypical_lymphocytes_pct"
    PLATELETS = "platelets"
    ALT = "alt"
    AST = "ast"
    ALP = "alp"
    GGT = "ggt"
    BILIRUBIN_TOTAL = "bilirubin_total"
    CREATININE = "creatinine"
    CRP = "crp"
    LDH = "ldh"
    CK = "ck"
    UREA = "urea"
    NEUTROPHILS_ABS = "neutrophils_abs"
    HAEMOGLOBIN = "haemoglobin"
    TARC = "tarc"
    LACTATE = "lactate"


class LabUnit(StrEnum):
    PER_UL = "/uL"
    E9_PER_L = "10*9/L"
    PERCENT = "%"
    U_PER_L = "U/L"
    MG_PER_DL = "mg/dL"
    UMOL_PER_L = "umol/L"
    MG_PER_L = "mg/L"
    MMOL_PER_L = "mmol/L"
    G_PER_DL = "g/dL"
    G_PER_L = "g/L"
    PG_PER_ML = "pg/mL"


class Comparator(StrEnum):
    EQ = "="
    LT = "<"
    GT = ">"
    LE = "<="
    GE = ">="


class TreatmentCategory(StrEnum):
    SYSTEMIC_CORTICOSTEROID = "systemic_corticosteroid"
    TOPICAL_CORTICOSTEROID = "topical_corticosteroid"
    ANTIHISTAMINE = "antihistamine"
    ANTI_IL5 = "anti_il5"
    IVIG = "ivig"
    IMMUNOSUPPRESSANT = "immunosuppressant"
    SUPPORTIVE = "supportive"
    OTHER = "other"


class TreatmentResponse(StrEnum):
    RESOLVED = "resolved"
    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    WORSENED = "worsened"
    RELAPSED = "relapsed"


class GenotypeResult(StrEnum):
    CARRIER = "carrier"
    NON_CARRIER = "non_carrier"
    INDETERMINATE = "indeterminate"


class ProcedureCode(StrEnum):
    """Codes of the `procedure` vocabulary (the model class is registry.schema.models.Procedure)."""

    LIVER_TRANSPLANT = "liver_transplant"
    KIDNEY_TRANSPLANT = "kidney_transplant"
    HAEMODIALYSIS = "haemodialysis"
    CONTINUOUS_RENAL_REPLACEMENT = "continuous_renal_replacement"
    PLASMAPHERESIS = "plasmapheresis"
    ICU_ADMISSION = "icu_admission"
    MECHANICAL_VENTILATION = "mechanical_ventilation"
    ECMO = "ecmo"
    OTHER = "other"


class ReactionOutcome(StrEnum):
    RECOVERED = "recovered"
    RECOVERING = "recovering"
    NOT_RECOVERED = "not_recovered"
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae"
    FATAL = "fatal"
    UNKNOWN = "unknown"


class TherapyFate(StrEnum):
    STOPPED = "stopped"
    RESUMED_SAME_DOSE = "resumed_same_dose"
    RESUMED_REDUCED_DOSE = "resumed_reduced_dose"
    CONTINUED = "continued"
    SWITCHED = "switched"


class InstrumentCode(StrEnum):
    """Codes of the `instrument` vocabulary (registry.cases.scoring.definitions.Instrument is an instrument's definition)."""

    REGISCAR_DRESS = "regiscar_dress"
    NARANJO = "naranjo"
    WHO_UMC = "who_umc"


class Assessor(StrEnum):
    AUTHORS = "authors"
    REGISTRY = "registry"


class EvidenceStatus(StrEnum):
    STATED = "stated"
    NOT_REPORTED = "not_reported"
    NOT_AVAILABLE = "not_available"


class Derivation(StrEnum):
    STATED = "stated"
    UNIT_CONVERTED = "unit_converted"
    CALCULATED = "calculated"
    INFERRED = "inferred"
    READ_FROM_FIGURE = "read_from_figure"



class AgreementKind(StrEnum):
    CODE = "code"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    LOCATOR = "locator"


class ExtractionAspect(StrEnum):
    VALUE = "value"
    STATUS = "status"
    LOCATOR = "locator"
    RECORD = "record"


class ScreeningStage(StrEnum):
    TITLE_ABSTRACT = "title_abstract"
    FULL_TEXT = "full_text"


class ScreeningDecisionCode(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"
    PENDING = "pending"


class ExclusionReason(StrEnum):
    NOT_DRESS = "not_dress"
    NOT_DRUG_REACTION = "not_drug_reaction"
    NO_CASE_DATA = "no_case_data"
    DUPLICATE_PATIENT = "duplicate_patient"
    NOT_RETRIEVABLE = "not_retrievable"
    OTHER = "other"


# ---------------------------------------------------------------------------
# The vocabularies: each term is built on its enum's member.

#: Vocabulary name -> the enum of its codes.
ENUMS: dict[str, type[StrEnum]] = {}


def _v(enum: type[StrEnum], name: str, title: str, description: str, source: str, *terms: Term) -> Vocabulary:
    codes = tuple(t.code for t in terms)
    if codes != tuple(enum):
        raise ValueError(f"vocabulary {name}: terms {codes} differ from {enum.__name__} {tuple(enum)}")
    ENUMS[name] = enum
    return Vocabulary(name, title, description, source, tuple(terms))


T = Term
E2B = "ICH E2B(R3) Implementation Guide (2013)"
REG = "registry-defined"

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        _v(
            Sex, "sex", "Sex", "Sex of the patient as reported.", f"{E2B}, D.5; openFDA patientsex",
            T(Sex.MALE, "Male", "Reported as male.", "1", "1"),
            T(Sex.FEMALE, "Female", "Reported as female.", "2", "2"),
        ),
        _v(
            AgeUnit, "age_unit", "Age unit", "Unit of the reported age (UCUM codes as in E2B D.2.2b).",
            f"{E2B}, D.2.2b; openFDA patientonsetageunit",
            T(AgeUnit.YEARS, "years", "Age in years.", "a", "801", years=1.0),
            T(AgeUnit.MONTHS, "months", "Age in months.", "mo", "802", years=1 / 12),
            T(AgeUnit.WEEKS, "weeks", "Age in weeks.", "wk", "803", years=7 / 365.25),
            T(AgeUnit.DAYS, "days", "Age in days.", "d", "804", years=1 / 365.25),
        ),
        _v(
            ArticleType, "article_type", "Article type", "Kind of publication.", REG,
            T(ArticleType.CASE_REPORT, "Case report", "Reports one or a few individual patients in detail."),
            T(ArticleType.CASE_SERIES, "Case series", "Reports several patients, usually in a table."),
            T(ArticleType.LETTER, "Letter / correspondence", "Short communication, often with one case."),
            T(ArticleType.REVIEW, "Review", "Summarises other publications; may restate their cases."),
            T(ArticleType.CONFERENCE_ABSTRACT, "Conference abstract", "Meeting abstract only."),
            T(ArticleType.SYNTHETIC, "Synthetic (benchmark)", "Generated by `dress-registry synth`; never real data."),
        ),
        _v(
            SourceAccess, "source_access", "Source access", "How much of a publication the registry's curators could read.", REG,
            T(SourceAccess.FULL_TEXT, "Full text read", "The complete article was read."),
            T(SourceAccess.PARTIAL_TEXT, "Part of the text read",
              "More than the abstract was read (e.g. the opening of the case description), but not the whole article."),
            T(SourceAccess.ABSTRACT_ONLY, "Abstract only", "Only the abstract (or a publisher summary) was reachable."),
            T(SourceAccess.CITATION_ONLY, "Citation only", "Only the bibliographic record was found; facts come from citing works."),
        ),
        _v(
            CaseLinkRole, "case_link_role", "Case-publication link", "Role of a publication for a case.", REG,
            T(CaseLinkRole.PRIMARY_REPORT, "Primary report", "The publication that first reports this patient."),
            T(CaseLinkRole.LATER_REPORT, "Later report", "A later publication by the same or other authors about the same patient."),
            T(CaseLinkRole.REVIEW_SUMMARY, "Review summary", "A review or discussion that summarises the case from another publication."),
        ),
        _v(
            RegistryDiagnosis, "registry_diagnosis", "Registry diagnosis", "The registry's judgement of the diagnosis, separate from the authors' wording.", REG,
            T(RegistryDiagnosis.DRESS, "DRESS", "Meets the registry's inclusion as drug-induced DRESS."),
            T(RegistryDiagnosis.DRESS_OVERLAP, "DRESS overlap", "DRESS with features of another SCAR (e.g. AGEP, SJS/TEN)."),
            T(RegistryDiagnosis.UNCERTAIN, "Uncertain", "Reported as DRESS but the record is too thin to judge."),
            T(RegistryDiagnosis.NOT_DRESS, "Not DRESS", "The registry judges the reaction not to be DRESS."),
        ),
        _v(
            ExposureRole, "exposure_role", "Drug role", "Role of a drug in the case. Codes 1-3 follow E2B G.k.1; the rest extend it for literature cases.",
            f"{E2B}, G.k.1; openFDA drugcharacterization",
            T(ExposureRole.SUSPECT, "Suspect", "Drug suspected of causing the reaction.", "1", "1", suspect=True),
            T(ExposureRole.CO_SUSPECT, "Co-suspect", "One of several drugs suspected together.", "1", "1", suspect=True),
            T(ExposureRole.INTERACTING, "Interacting", "Suspected through an interaction.", "3", "3", suspect=True),
            T(ExposureRole.CONCOMITANT, "Concomitant", "Taken at the time, not suspected.", "2", "2"),
            T(ExposureRole.PRIOR, "Prior", "Taken before, stopped before the reaction (drug history, E2B D.8)."),
            T(ExposureRole.TREATMENT_OF_REACTION, "Treatment of the reaction", "Given to treat the reaction (not listed in E2B G.k)."),
            T(ExposureRole.PREMEDICATION, "Premedication", "Given to cover a re-exposure (e.g. antihistamines with desensitisation)."),
            T(ExposureRole.ALTERNATIVE_AFTER_SWITCH, "Alternative after switch", "Drug that replaced the suspect drug (e.g. another kinase inhibitor)."),
        ),
        _v(
            Route, "route", "Route", "Route of administration; openFDA R2 numeric codes kept for mapping.",
            f"{E2B}, G.k.4.r.10; openFDA drugadministrationroute",
            T(Route.ORAL, "Oral", "By mouth.", None, "048"),
            T(Route.INTRAVENOUS, "Intravenous", "Into a vein.", None, "042"),
            T(Route.SUBCUTANEOUS, "Subcutaneous", "Under the skin.", None, "058"),
            T(Route.INTRAMUSCULAR, "Intramuscular", "Into a muscle.", None, "030"),
            T(Route.TOPICAL, "Topical", "On the skin.", None, "061"),
            T(Route.OTHER, "Other", "Any other route.", None, "050"),
        ),
        _v(
            ActionTaken, "action_taken", "Action taken with drug", "What was done with the drug because of the reaction.",
            f"{E2B}, G.k.8; openFDA actiondrug",
            T(ActionTaken.WITHDRAWN, "Drug withdrawn", "Stopped because of the reaction.", "1", "1"),
            T(ActionTaken.DOSE_REDUCED, "Dose reduced", "Dose lowered because of the reaction.", "2", "2"),
            T(ActionTaken.DOSE_INCREASED, "Dose increased", "Dose raised.", "3", "3"),
            T(ActionTaken.DOSE_NOT_CHANGED, "Dose not changed", "Continued at the same dose.", "4", "4"),
            T(ActionTaken.UNKNOWN, "Unknown", "The source says something was done but not what.", "0", "5"),
            T(ActionTaken.NOT_APPLICABLE, "Not applicable", "E.g. the drug had already been stopped.", "9", "6"),
        ),
        _v(
            DechallengeResult, "dechallenge_result", "Dechallenge result", "Did the reaction abate after the drug was stopped or reduced?",
            "openFDA drugadditional (1 yes, 2 no, 3 does not apply); registry extensions",
            T(DechallengeResult.POSITIVE, "Positive (abated)", "The reaction abated after withdrawal.", None, "1"),
            T(DechallengeResult.PARTIAL, "Partial", "The reaction improved only partly."),
            T(DechallengeResult.NEGATIVE, "Negative (persisted)", "The reaction did not abate.", None, "2"),
            T(DechallengeResult.NOT_DONE, "Not done", "The drug was not stopped.", None, "3"),
        ),
        _v(
            ChallengeType, "challenge_type", "Challenge type", "Kind of re-exposure to the suspect drug.", REG,
            T(ChallengeType.RECHALLENGE, "Rechallenge", "Re-exposure, unintended or for diagnosis."),
            T(ChallengeType.REINTRODUCTION, "Deliberate re-introduction", "Drug restarted on purpose for treatment, without a desensitisation protocol."),
            T(ChallengeType.DESENSITISATION, "Desensitisation", "Graded dose escalation to induce tolerance; steps in challenge_steps."),
            T(ChallengeType.CONTINUED_THROUGH, "Continued through reaction", "Drug kept going while the reaction was active."),
        ),
        _v(
            ChallengeResult, "challenge_result", "Challenge result", "Outcome of a re-exposure.",
            f"{E2B}, G.k.9.i.4 (1 recurred, 2 did not recur, 3 unknown); openFDA drugrecurreadministration",
            T(ChallengeResult.RECURRENCE, "Recurrence", "The reaction came back.", "1", "1"),
            T(ChallengeResult.TOLERATED, "Tolerated", "No recurrence.", "2", "2"),
            T(ChallengeResult.INCONCLUSIVE, "Inconclusive", "The source does not allow a conclusion.", "3", "3"),
        ),
        _v(
            DoseUnit, "dose_unit", "Dose unit", "Unit of a dose, as ASCII UCUM codes (µg is stored as ug).",
            f"{E2B}, G.k.4.r.1b (UCUM); openFDA drugstructuredosageunit",
            T(DoseUnit.MG, "mg", "milligram", "mg", "003"),
            T(DoseUnit.G, "g", "gram", "g", "002"),
            T(DoseUnit.UG, "µg", "microgram", "ug", "004"),
            T(DoseUnit.MG_PER_KG, "mg/kg", "milligram per kilogram body weight", "mg/kg"),
            T(DoseUnit.MG_PER_M2, "mg/m²", "milligram per square metre body surface", "mg/m2"),
            T(DoseUnit.IU, "IU", "international unit", "[iU]"),
            T(DoseUnit.G_PER_KG, "g/kg", "gram per kilogram body weight (e.g. immunoglobulin)", "g/kg"),
        ),
        _v(
            TimeUnit, "time_unit", "Time unit", "Unit of an interval (UCUM).", f"{E2B}, G.k.4.r.3; openFDA drugintervaldosagedefinition",
            T(TimeUnit.MINUTES, "minutes", "minute", "min", "806"),
            T(TimeUnit.HOURS, "hours", "hour", "h", "805"),
            T(TimeUnit.DAYS, "days", "day", "d", "804"),
            T(TimeUnit.WEEKS, "weeks", "week", "wk", "803"),
            T(TimeUnit.MONTHS, "months", "month", "mo", "802"),
        ),
        _v(
            DoseChangeReason, "dose_change_reason", "Reason for a dose row", "Why a dose regimen row starts.", REG,
            T(DoseChangeReason.INITIAL, "Initial dose", "First regimen of this exposure."),
            T(DoseChangeReason.RESTART, "Restart", "Drug restarted after a stop."),
            T(DoseChangeReason.DESENSITISATION_TARGET, "Target after desensitisation", "Maintenance dose reached by a desensitisation protocol."),
            T(DoseChangeReason.ESCALATION_PROGRESSION, "Escalated for progression", "Dose raised because the treated disease progressed."),
            T(DoseChangeReason.REDUCTION_TOXICITY, "Reduced for toxicity", "Dose lowered because of the reaction or other toxicity."),
            T(DoseChangeReason.TREATMENT_COURSE, "Treatment course", "Dose of a drug given to treat the reaction."),
            T(DoseChangeReason.OTHER, "Other", "See notes."),
        ),
        _v(
            FindingCode, "finding", "Clinical finding", "Features of the reaction and organ involvement, each recorded with a status.",
            "RegiSCAR DRESS score items (Kardaun 2007/2013); registry-defined",
            T(FindingCode.FEVER, "Fever ≥38.5 °C", "Fever of 38.5 °C or more.", category="systemic"),
            T(FindingCode.RASH, "Rash", "Any drug eruption.", category="skin"),
            T(FindingCode.RASH_EXTENT_GT50, "Rash >50% BSA", "Rash covering more than half the body surface.", category="skin"),
            T(FindingCode.FACIAL_OEDEMA, "Facial oedema", "Swelling of the face.", category="skin"),
            T(FindingCode.INFILTRATION, "Skin infiltration", "Infiltrated (oedematous) lesions.", category="skin"),
            T(FindingCode.PURPURA, "Purpura", "Purpura other than on the legs.", category="skin"),
            T(FindingCode.DESQUAMATION, "Desquamation", "Psoriasiform desquamation or scaling.", category="skin"),
            T(FindingCode.PRURITUS, "Pruritus", "Itching.", category="skin"),
            T(FindingCode.MUCOSAL_INVOLVEMENT, "Mucosal involvement", "Mucositis or erosions of mucous membranes.", category="skin"),
            T(FindingCode.LYMPHADENOPATHY, "Lymphadenopathy", "Enlarged lymph nodes (>1 cm, at two or more sites for RegiSCAR).", category="systemic"),
            T(FindingCode.ATYPICAL_LYMPHOCYTES, "Atypical lymphocytes", "Atypical (reactive) lymphocytes on the blood film.", category="haematologic"),
            T(FindingCode.EOSINOPHILIA, "Eosinophilia (as stated)", "Eosinophilia stated by the authors, with or without a count.", category="haematologic"),
            T(FindingCode.SKIN_BIOPSY_SUGGESTIVE, "Skin biopsy suggestive of DRESS", "Present: biopsy done and suggestive; absent: done and not suggestive; not_done: no biopsy.", category="histology"),
            T(FindingCode.ORGAN_LIVER, "Liver involvement", "Hepatitis or raised liver tests attributed to the reaction.", category="organ"),
            T(FindingCode.ORGAN_KIDNEY, "Kidney involvement", "Renal injury attributed to the reaction.", category="organ"),
            T(FindingCode.ORGAN_LUNG, "Lung involvement", "Interstitial or other lung involvement.", category="organ"),
            T(FindingCode.ORGAN_HEART, "Heart involvement", "Myocarditis or pericarditis.", category="organ"),
            T(FindingCode.ORGAN_MUSCLE, "Muscle involvement", "Myositis, raised CK.", category="organ"),
            T(FindingCode.ORGAN_PANCREAS, "Pancreas involvement", "Pancreatitis, amylase/lipase >2x ULN.", category="organ"),
            T(FindingCode.ORGAN_OTHER, "Other organ involvement", "Spleen, thyroid, gut, nervous system, ...", category="organ"),
        ),
        _v(
            FindingStatus, "finding_status", "Finding status", "Whether a finding was present, and how we know.",
            "HL7 nullFlavor as used by E2B(R3) (NI, ASKU, NASK); registry-defined",
            T(FindingStatus.PRESENT, "Present", "The source states the finding was present."),
            T(FindingStatus.ABSENT, "Absent", "The source states the finding was absent (or the test was normal)."),
            T(FindingStatus.NOT_DONE, "Not done", "The source states the examination or test was not done."),
            T(FindingStatus.NOT_REPORTED, "Not reported", "The source was read and does not mention it.", missing=True),
            T(FindingStatus.NOT_AVAILABLE, "Source not available", "We could not read the part of the source that would tell.", missing=True),
        ),
        _v(
            InvestigationCode, "investigation", "Investigation", "Tests for other causes and for viral reactivation.",
            "RegiSCAR item 8 (evaluation of other causes); registry-defined",
            T(InvestigationCode.ANA, "Antinuclear antibodies", "ANA.", category="other_cause"),
            T(InvestigationCode.BLOOD_CULTURE, "Blood culture", "Blood culture.", category="other_cause"),
            T(InvestigationCode.HAV, "Hepatitis A serology", "HAV serology.", category="other_cause"),
            T(InvestigationCode.HBV, "Hepatitis B serology", "HBV serology.", category="other_cause"),
            T(InvestigationCode.HCV, "Hepatitis C serology", "HCV serology.", category="other_cause"),
            T(InvestigationCode.HIV, "HIV serology", "HIV serology (not a RegiSCAR item-8 test).", category="other_serology"),
            T(InvestigationCode.MYCOPLASMA, "Mycoplasma pneumoniae", "Serology or PCR.", category="other_cause"),
            T(InvestigationCode.CHLAMYDIA, "Chlamydia", "Serology or PCR.", category="other_cause"),
            T(InvestigationCode.HHV6, "HHV-6", "Reactivation by PCR or serology.", category="viral_reactivation"),
            T(InvestigationCode.HHV7, "HHV-7", "Reactivation by PCR or serology.", category="viral_reactivation"),
            T(InvestigationCode.EBV, "EBV", "Reactivation by PCR or serology.", category="viral_reactivation"),
            T(InvestigationCode.CMV, "CMV", "Reactivation by PCR or serology.", category="viral_reactivation"),
            T(InvestigationCode.HSV, "Herpes simplex virus", "HSV serology or PCR (not a RegiSCAR item-8 test).", category="other_serology"),
            T(InvestigationCode.VZV, "Varicella-zoster virus", "VZV serology or PCR (not a RegiSCAR item-8 test).", category="other_serology"),
            T(InvestigationCode.LTT, "Lymphocyte transformation test",
              "Lymphocyte transformation or stimulation test (LTT, DLST) with a drug; the drug in detail.", category="drug_test"),
            T(InvestigationCode.PATCH_TEST, "Patch test", "Drug patch test; the drug (and concentration) in detail.", category="drug_test"),
            T(InvestigationCode.SKIN_PRICK_TEST, "Skin prick test", "Drug skin prick test; the drug in detail.", category="drug_test"),
            T(InvestigationCode.INTRADERMAL_TEST, "Intradermal test",
              "Drug intradermal skin test, read early or late; the drug (and concentration) in detail.", category="drug_test"),
        ),
        _v(
            TestResult, "test_result", "Test result", "Qualitative result of an investigation.", f"{E2B}, F.r.3.1",
            T(TestResult.POSITIVE, "Positive", "Positive.", "1"),
            T(TestResult.NEGATIVE, "Negative", "Negative.", "2"),
            T(TestResult.BORDERLINE, "Borderline", "Borderline.", "3"),
            T(TestResult.INCONCLUSIVE, "Inconclusive", "Inconclusive.", "4"),
        ),
        _v(
            Analyte, "analyte", "Analyte", "Laboratory measurement.", "registry-defined (LOINC names in definitions)",
            T(Analyte.EOSINOPHILS_ABS, "Eosinophils (absolute)", "Absolute eosinophil count in blood.", category="haematology"),
            T(Analyte.EOSINOPHILS_PCT, "Eosinophils (%)", "Eosinophils as a percentage of leukocytes.", category="haematology"),
            T(Analyte.LEUKOCYTES, "Leukocytes", "White blood cell count.", category="haematology"),
            T(Analyte.LYMPHOCYTES_ABS, "Lymphocytes (absolute)", "Absolute lymphocyte count.", category="haematology"),
            T(Analyte.LYMPHOCYTES_PCT, "Lymphocytes (%)", "Lymphocytes as a percentage of leukocytes.", category="haematology"),
            T(Analyte.ATYPICAL_LYMPHOCYTES_PCT, "Atypical lymphocytes (%)", "Atypical lymphocytes as a percentage.", category="haematology"),
            T(Analyte.PLATELETS, "Platelets", "Platelet count.", category="haematology"),
            T(Analyte.ALT, "ALT", "Alanine aminotransferase.", category="liver"),
            T(Analyte.AST, "AST", "Aspartate aminotransferase.", category="liver"),
            T(Analyte.ALP, "ALP", "Alkaline phosphatase.", category="liver"),
            T(Analyte.GGT, "GGT", "Gamma-glutamyl transferase (γ-GTP).", category="liver"),
            T(Analyte.BILIRUBIN_TOTAL, "Total bilirubin", "Total bilirubin.", category="liver"),
            T(Analyte.CREATININE, "Creatinine", "Serum creatinine.", category="kidney"),
            T(Analyte.CRP, "CRP", "C-reactive protein.", category="inflammation"),
            T(Analyte.LDH, "LDH", "Lactate dehydrogenase.", category="other"),
            T(Analyte.CK, "CK", "Creatine kinase (CPK), usually in U/L.", category="muscle"),
            T(Analyte.UREA, "Urea / BUN",
              "Urea or blood urea nitrogen (BUN). In mmol/L the two are the same number; in mg/dL the value is BUN "
              "(urea nitrogen), so a urea given in mg/dL is stored divided by 2.14 (derivation unit_converted).",
              category="kidney"),
            T(Analyte.NEUTROPHILS_ABS, "Neutrophils (absolute)", "Absolute neutrophil count in blood.", category="haematology"),
            T(Analyte.HAEMOGLOBIN, "Haemoglobin", "Haemoglobin concentration in blood, usually in g/dL or g/L.", category="haematology"),
            T(Analyte.TARC, "TARC (CCL17)", "Serum thymus and activation-regulated chemokine (CCL17), usually in pg/mL.",
              category="inflammation"),
            T(Analyte.LACTATE, "Lactate", "Blood lactate, usually in mmol/L.", category="other"),
        ),
        _v(
            LabUnit, "lab_unit", "Laboratory unit", "Unit of a lab value (ASCII UCUM; µ stored as u).", f"{E2B}, F.r.3.3 (UCUM)",
            T(LabUnit.PER_UL, "/µL", "cells per microlitre", per_ul=1.0),
            T(LabUnit.E9_PER_L, "×10⁹/L", "10^9 cells per litre (= 1,000/µL)", per_ul=1000.0),
            T(LabUnit.PERCENT, "%", "percent"),
            T(LabUnit.U_PER_L, "U/L", "units per litre"),
            T(LabUnit.MG_PER_DL, "mg/dL", "milligram per decilitre"),
            T(LabUnit.UMOL_PER_L, "µmol/L", "micromole per litre"),
            T(LabUnit.MG_PER_L, "mg/L", "milligram per litre"),
            T(LabUnit.MMOL_PER_L, "mmol/L", "millimole per litre"),
            T(LabUnit.G_PER_DL, "g/dL", "gram per decilitre"),
            T(LabUnit.G_PER_L, "g/L", "gram per litre"),
            T(LabUnit.PG_PER_ML, "pg/mL", "picogram per millilitre"),
        ),
        _v(
            Comparator, "comparator", "Comparator", "Qualifier of a numeric result.", f"{E2B}, F.r.3.2",
            T(Comparator.EQ, "=", "equal to"),
            T(Comparator.LT, "<", "less than"),
            T(Comparator.GT, ">", "greater than"),
            T(Comparator.LE, "≤", "at most"),
            T(Comparator.GE, "≥", "at least"),
        ),
        _v(
            TreatmentCategory, "treatment_category", "Treatment category", "Kind of treatment given for the reaction.", REG,
            T(TreatmentCategory.SYSTEMIC_CORTICOSTEROID, "Systemic corticosteroid", "Oral or intravenous corticosteroid."),
            T(TreatmentCategory.TOPICAL_CORTICOSTEROID, "Topical corticosteroid", "Corticosteroid on the skin."),
            T(TreatmentCategory.ANTIHISTAMINE, "Antihistamine", "H1 antihistamine."),
            T(TreatmentCategory.ANTI_IL5, "Anti-IL-5 antibody", "Mepolizumab, reslizumab, or the IL-5 receptor antibody benralizumab."),
            T(TreatmentCategory.IVIG, "IV immunoglobulin", "Intravenous immunoglobulin."),
            T(TreatmentCategory.IMMUNOSUPPRESSANT, "Other immunosuppressant", "Cyclosporine and others."),
            T(TreatmentCategory.SUPPORTIVE, "Supportive care", "Emollients, fluids and other supportive care."),
            T(TreatmentCategory.OTHER, "Other", "See notes."),
        ),
        _v(
            TreatmentResponse, "treatment_response", "Response to treatment", "How the reaction responded.", REG,
            T(TreatmentResponse.RESOLVED, "Resolved", "Signs resolved."),
            T(TreatmentResponse.IMPROVED, "Improved", "Signs improved, not fully resolved."),
            T(TreatmentResponse.NO_CHANGE, "No change", "No response."),
            T(TreatmentResponse.WORSENED, "Worsened", "Signs worsened."),
            T(TreatmentResponse.RELAPSED, "Relapsed", "Improved, then signs returned."),
        ),
        _v(
            GenotypeResult, "genotype_result", "Genotype result",
            "Whether the patient carries the allele or variant tested (pharmacogenetic typing).", REG,
            T(GenotypeResult.CARRIER, "Carrier", "The allele or variant tested was found (one or two copies)."),
            T(GenotypeResult.NON_CARRIER, "Non-carrier", "The allele or variant tested was not found."),
            T(GenotypeResult.INDETERMINATE, "Indeterminate", "The typing gave no clear answer (failed or ambiguous)."),
        ),
        _v(
            ProcedureCode, "procedure", "Procedure",
            "Organ support, transplant and other procedures for the reaction or its complications "
            "(immunoglobulin and corticosteroids are treatments).", REG,
            T(ProcedureCode.LIVER_TRANSPLANT, "Liver transplant", "Liver transplantation.", category="transplant"),
            T(ProcedureCode.KIDNEY_TRANSPLANT, "Kidney transplant", "Kidney transplantation.", category="transplant"),
            T(ProcedureCode.HAEMODIALYSIS, "Haemodialysis", "Intermittent haemodialysis.", category="renal_support"),
            T(ProcedureCode.CONTINUOUS_RENAL_REPLACEMENT, "Continuous renal replacement therapy",
              "Continuous renal replacement (haemofiltration, haemodiafiltration).", category="renal_support"),
            T(ProcedureCode.PLASMAPHERESIS, "Plasmapheresis", "Plasma exchange or plasmapheresis.", category="other"),
            T(ProcedureCode.ICU_ADMISSION, "Intensive care admission", "Admission to an intensive care unit.", category="critical_care"),
            T(ProcedureCode.MECHANICAL_VENTILATION, "Mechanical ventilation", "Invasive mechanical ventilation.", category="critical_care"),
            T(ProcedureCode.ECMO, "ECMO", "Extracorporeal membrane oxygenation.", category="critical_care"),
            T(ProcedureCode.OTHER, "Other procedure", "Another procedure; see detail.", category="other"),
        ),
        _v(
            ReactionOutcome, "reaction_outcome", "Outcome of reaction", "Outcome of the reaction at last follow-up.",
            f"{E2B}, E.i.7; openFDA reactionoutcome (unknown = 6)",
            T(ReactionOutcome.RECOVERED, "Recovered/resolved", "Recovered or resolved.", "1", "1"),
            T(ReactionOutcome.RECOVERING, "Recovering/resolving", "Recovering or resolving.", "2", "2"),
            T(ReactionOutcome.NOT_RECOVERED, "Not recovered/ongoing", "Not recovered, not resolved, ongoing.", "3", "3"),
            T(ReactionOutcome.RECOVERED_WITH_SEQUELAE, "Recovered with sequelae", "Recovered or resolved with sequelae.", "4", "4"),
            T(ReactionOutcome.FATAL, "Fatal", "Death possibly related to the reaction.", "5", "5"),
            T(ReactionOutcome.UNKNOWN, "Unknown", "The source states the outcome is unknown.", "0", "6"),
        ),
        _v(
            TherapyFate, "therapy_fate", "Fate of the suspect therapy", "What became of the treatment the suspect drug was given for.", REG,
            T(TherapyFate.STOPPED, "Stopped", "Suspect drug stopped for good; no replacement reported."),
            T(TherapyFate.RESUMED_SAME_DOSE, "Resumed, same dose", "Suspect drug restarted at the original dose."),
            T(TherapyFate.RESUMED_REDUCED_DOSE, "Resumed, reduced dose", "Suspect drug restarted at a lower dose."),
            T(TherapyFate.CONTINUED, "Continued", "Suspect drug continued through or after the reaction."),
            T(TherapyFate.SWITCHED, "Switched", "Replaced by another drug (see switched_to_drug)."),
        ),
        _v(
            InstrumentCode, "instrument", "Assessment instrument", "Diagnostic or causality instrument.", "see registry/cases/scoring/instruments",
            T(InstrumentCode.REGISCAR_DRESS, "RegiSCAR DRESS score", "Kardaun et al. 2007/2013; total -4..9."),
            T(InstrumentCode.NARANJO, "Naranjo ADR probability scale", "Naranjo et al. 1981; total -4..13."),
            T(InstrumentCode.WHO_UMC, "WHO-UMC causality", "Categorical causality assessment."),
        ),
        _v(
            Assessor, "assessor", "Assessor", "Who made an assessment.", REG,
            T(Assessor.AUTHORS, "Authors (as published)", "The score the publication's authors report, unchanged."),
            T(Assessor.REGISTRY, "Registry (computed)", "Computed by the registry from the stored facts."),
        ),
        _v(
            EvidenceStatus, "evidence_status", "Evidence status", "What a source says about a fact.", "HL7 nullFlavor as used by E2B(R3); registry-defined",
            T(EvidenceStatus.STATED, "Stated", "The source states the value."),
            T(EvidenceStatus.NOT_REPORTED, "Not reported by the source", "The source was read and does not report it.",
              missing=True, missing_code="NR"),
            T(EvidenceStatus.NOT_AVAILABLE, "Source not available", "We could not read the source (or the part) that would report it.",
              missing=True, missing_code="NA-SRC"),
        ),
        _v(
            Derivation, "derivation", "Derivation", "How a stored value was obtained from the source.", REG,
            T(Derivation.STATED, "Stated", "Taken as stated (paraphrased, not copied)."),
            T(Derivation.UNIT_CONVERTED, "Unit converted", "Converted from the stated unit."),
            T(Derivation.CALCULATED, "Calculated", "Calculated from stated values (e.g. days from weeks)."),
            T(Derivation.INFERRED, "Inferred", "Inferred from the text; see the note."),
            T(Derivation.READ_FROM_FIGURE, "Read from figure", "Read off a figure."),
        ),
        _v(
            AgreementKind, "agreement_kind", "Agreement kind",
            "Kind of field two independent extractions of a publication are compared on.", REG,
            T(AgreementKind.CODE, "Coded field", "A field holding a vocabulary code (agreement and Cohen's kappa)."),
            T(AgreementKind.BOOLEAN, "Yes/no field", "A true/false field (agreement and Cohen's kappa)."),
            T(AgreementKind.INTEGER, "Whole-number field", "Days, counts and other integers."),
            T(AgreementKind.NUMBER, "Number field", "Doses, lab values, ages and other measurements."),
            T(AgreementKind.TEXT, "Text field", "Names, notes and other free text (compared after collapsing spaces)."),
            T(AgreementKind.LOCATOR, "Locator", "Where in the publication a value was read (the src `at`)."),
        ),
        _v(
            ExtractionAspect, "extraction_aspect", "Extraction difference",
            "What two independent extractions of a field disagree on.", REG,
            T(ExtractionAspect.VALUE, "Value", "They give different values (or one gives a value, the other none)."),
            T(ExtractionAspect.STATUS, "Status", "Neither gives a value and they differ on why (not reported, not available)."),
            T(ExtractionAspect.LOCATOR, "Locator", "They read the value in different places of the publication."),
            T(ExtractionAspect.RECORD, "Record", "A record (exposure, lab, finding...) is in one extraction only."),
        ),
        _v(
            ScreeningStage, "screening_stage", "Screening stage",
            "Stage of study selection at which a search record is judged (PRISMA 2020).",
            "PRISMA 2020 (Page et al., BMJ 2021;372:n71), flow diagram",
            T(ScreeningStage.TITLE_ABSTRACT, "Title/abstract screening", "The record is judged on its title and abstract."),
            T(ScreeningStage.FULL_TEXT, "Full-text eligibility", "The report is read in full and judged against the inclusion criteria."),
        ),
        _v(
            ScreeningDecisionCode, "screening_decision", "Screening decision", "What a screener decided at one stage.",
            "PRISMA 2020; registry-defined",
            T(ScreeningDecisionCode.INCLUDE, "Include", "Goes on: to full-text assessment, or into the registry."),
            T(ScreeningDecisionCode.EXCLUDE, "Exclude", "Left out, with a reason."),
            T(ScreeningDecisionCode.PENDING, "Pending", "Not decided yet (unsure, to discuss)."),
        ),
        _v(
            ExclusionReason, "exclusion_reason", "Exclusion reason", "Why a record or report was excluded.",
            "PRISMA 2020 (reports excluded, with reasons); registry-defined",
            T(ExclusionReason.NOT_DRESS, "Not DRESS", "The reaction described is not DRESS (e.g. another SCAR, or a rash without systemic signs)."),
            T(ExclusionReason.NOT_DRUG_REACTION, "Not a drug reaction", "The condition is not attributed to a drug."),
            T(ExclusionReason.NO_CASE_DATA, "No individual case data", "No patient is described individually (e.g. a review, a cohort without case details)."),
            T(ExclusionReason.DUPLICATE_PATIENT, "Duplicate report of a known patient", "Reports a patient the registry already holds from another publication."),
            T(ExclusionReason.NOT_RETRIEVABLE, "Not retrievable", "The full text could not be obtained (full-text stage only: 'reports not retrieved')."),
            T(ExclusionReason.OTHER, "Other", "Another reason, given in words."),
        ),
    )
}


#: Exposure roles that make a drug a suspect of the reaction, in the order a
#: case's "main" suspect is chosen (suspect, then co-suspect, then interacting;
#: within a role, by seq: the vocabulary's order). Scores, key facts,
#: case_summary and the export all use this one definition.
SUSPECT_ROLES = tuple(t.code for t in VOCABULARIES["exposure_role"].terms if t.suspect)

#: Lab units that are cell counts, with the factor to /µL.
PER_UL_FACTORS: dict[str, float] = {
    t.code: t.per_ul for t in VOCABULARIES["lab_unit"].terms if t.per_ul is not None
}

#: Age unit -> years per unit.
AGE_UNIT_YEARS: dict[str, float] = {
    t.code: t.years for t in VOCABULARIES["age_unit"].terms if t.years is not None
}


def vocabulary(name: str) -> Vocabulary:
    return VOCABULARIES[name]

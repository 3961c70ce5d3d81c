"""The `[Sx]` sources of the knowledge base (§8), as data.

Titles are short descriptive names of each source; `note` says how it was read (e.g. SECONDARY:
only a third-party re-encoding was seen), because a clinician judging a card needs to know that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Citation:
    """One knowledge-base source."""

    id: str
    title: str
    year: int | None
    url: str | None
    note: str | None


def _c(
    cid: str, title: str, year: int | None, url: str | None = None, note: str | None = None
) -> Citation:
    return Citation(cid, title, year, url, note)


_ALL: tuple[Citation, ...] = (
    # Seed documents
    _c(
        "S1",
        "Chinese guideline excerpt: indications for surgery in GIST",
        None,
        None,
        "Machine translation; read with the caveats of knowledge-base §0 (≈2 cm threshold, EUS "
        "feature list, surgery not recommended for extensive progression).",
    ),
    _c(
        "S2",
        "Bonvalot S et al. Surgical treatment of primary and advanced GIST (in French)",
        2007,
        None,
        "Predates acceptance of laparoscopic resection; current position encoded.",
    ),
    _c(
        "S3",
        "MSKCC: TKI therapy followed by surgical resection for metastatic GIST. "
        "Ann Surg 2007;245(3):347-52",
        2007,
        None,
        "Abstract.",
    ),
    _c(
        "S4",
        "Sun Yat-sen University observational study NCT06038552: imatinib with or without "
        "hepatic resection or RFA/TACE for GIST liver metastases",
        None,
        "https://clinicaltrials.gov/study/NCT06038552",
        "Results abstract, 238 patients.",
    ),
    _c(
        "S5",
        "American Cancer Society: Typical treatment options for GIST",
        2020,
        None,
        "Patient-facing page, last revised 18 May 2020.",
    ),
    # Guidelines and reviews
    _c(
        "S6",
        "NCI PDQ Gastrointestinal Stromal Tumors Treatment, Health Professional Version",
        2024,
        "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/gist-treatment-pdq",
        "Update of 13 Dec 2024, read from a public mirror; summarises ACOSOG Z9001, EORTC 62024, "
        "SSG XVIII, PERSIST-5, NAVIGATOR, VOYAGER, GRID, INVICTUS, INTRIGUE and Raut 2006.",
    ),
    _c(
        "S6c",
        "NCI PDQ Childhood GIST Treatment, Health Professional Version",
        None,
        None,
        "Read from the same public mirror as S6.",
    ),
    _c(
        "S7",
        "Old PDQ Table 1: risk stratification of primary GIST (Corless & Heinrich 2008 "
        "reproduction of AFIP)",
        2008,
        "https://www.cancer.gov/cancertopics/pdq/treatment/gist/HealthProfessional/Table1",
    ),
    _c(
        "S8",
        "ISRN review 2012 (article 595968), Table 2: AFIP-Miettinen risk stratification",
        2012,
        "https://www.hindawi.com/journals/isrn/2012/595968/tab2/",
    ),
    _c(
        "S9",
        "J Gastrointest Dig Syst: NCCN risk stratification table",
        None,
        "https://www.omicsonline.org/JGDSimages/2161-069X-4-176-t002.html",
    ),
    _c(
        "S9b",
        "GIST Support International: Prognosis for GIST (NIH/Fletcher table)",
        None,
        "https://www.gistsupport.org/",
    ),
    _c(
        "S10",
        "Kobe University Hospital pathology: risk of aggressive behaviour in GIST (modified "
        "Fletcher; Joensuu 2008, Rutkowski 2011)",
        None,
        "http://immuno2.med.kobe-u.ac.jp/?p=5972",
    ),
    _c("S11", "medicalalgorithms.com: risk categories of Joensuu for a GIST", None, None),
    _c(
        "S12",
        "NCCN Flash Update: NCCN Guidelines updated for GIST, Version 1.2025",
        2025,
        None,
        "NCCN eBulletin 5665.",
    ),
    _c(
        "S13a",
        "Public script encoding NCCN GIST guideline v1.2026 (risk tables, pathways, lines)",
        2026,
        None,
        "SECONDARY: third-party re-encoding of NCCN; verify against the primary.",
    ),
    _c(
        "S13b",
        "Public clinical wiki page on GIST summarising NCCN v1.2026, ACG 2023 and ASGE 2017",
        2026,
        None,
        "SECONDARY: third-party summary; verify against the primary.",
    ),
    # Terminology / FHIR
    _c(
        "S14",
        "HL7 mCODE Implementation Guide source (STU4 4.0.0; STU3 3.0.0)",
        2025,
        "https://github.com/HL7/fhir-mCODE-ig",
    ),
    _c(
        "S15",
        "HL7 Genomics Reporting Implementation Guide source (STU2 2.0.0; 4.0.0-cibuild)",
        2026,
        "https://github.com/HL7/genomics-reporting",
    ),
    # Response assessment
    _c("S16", "Radiopaedia: Choi response criteria", None, None),
    _c(
        "S16b",
        "Benjamin RS, Choi H et al. We should desist using RECIST, at least in GIST. "
        "J Clin Oncol 2007",
        2007,
        None,
        "Summary page.",
    ),
    _c(
        "S16c",
        "RECIST vs Choi criteria in sunitinib-treated GIST. Ann Oncol 2011;22:1828-33",
        2011,
        None,
        "PubMed abstract.",
    ),
    _c(
        "S16d",
        "Global Journal of Medical Research: GIST imaging (size increase from haemorrhage "
        "or myxoid change)",
        None,
        None,
    ),
    _c(
        "S17",
        "PMC5658474 Table 2: summary of RECIST 1.1 and Choi criteria",
        None,
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC5658474/",
    ),
    _c(
        "S18",
        "PMC2755245 Table 3 (WHO vs RECIST vs RECIST 1.1) and PMC4671850 Table 1",
        None,
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC2755245/",
    ),
    _c("S19", "SEER*RSA site-specific factor: mitotic count (50 HPF ≈ 5 mm² at ×40)", None, None),
    _c("S19b", "Review text on the area used for mitotic counting (5 mm² vs 10 mm²)", None, None),
    _c(
        "S20",
        "ESMO clinical recommendations for GIST (Casali et al., Ann Oncol 2009;20 Suppl 4)",
        2009,
        None,
        "Read in Romanian translation (lamedic.ro).",
    ),
    _c(
        "S21",
        "ESGE guideline on subepithelial lesions (Deprez et al., Endoscopy 2022;54:412-429)",
        2022,
        None,
        "Abstract.",
    ),
    _c(
        "S22",
        "BMC Gastroenterology: tumour-size cut-off and follow-up timing for minimal "
        "EUS-suspected gastric GIST",
        2016,
        None,
    ),
    _c(
        "S23",
        "PMC3275340 table: nilotinib, sorafenib and dasatinib doses in GIST",
        None,
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC3275340/",
    ),
    _c(
        "S23b",
        "Summary of British Sarcoma Group guidance on tumour spillage",
        None,
        None,
        "SECONDARY: third-party summary.",
    ),
    _c("S24", "ACCP note on the FDA approval of ripretinib", 2020, None),
    _c("S24b", "PAZOGIST trial reports (pazopanib 800 mg daily)", None, None),
    _c(
        "S25",
        "Public regimen table for GIST (OncoCalcRx data/gist.js)",
        None,
        "https://github.com/pratty2304/OncoCalcRx",
        "SECONDARY: doses of targeted drugs.",
    ),
    _c(
        "S26",
        "Yang DP et al. Thermal ablation vs hepatic resection for GIST liver metastases",
        None,
        None,
        "Retrospective, 55 patients; abstract.",
    ),
    _c(
        "S27",
        "Public FSH example ConditionGist (gastric GIST, ICD-O-3 8936/x, SNOMED 420120006)",
        None,
        None,
    ),
    _c(
        "S28",
        "Public drug-indication mapping table (GIST → imatinib, SNOMED 420120006)",
        None,
        None,
    ),
    _c(
        "S29", "Public ICD-O-3 morphology lists (8936 gastrointestinal stromal sarcoma)", None, None
    ),
    _c(
        "S30",
        "Public FHIR oncology example and value-set expansion (SNOMED 94381002 liver metastasis)",
        None,
        None,
    ),
    _c(
        "S31",
        "Public terminology-mapping script with Snowstorm-verified SNOMED codes (81060008, "
        "56905009, 74474003)",
        None,
        None,
    ),
    _c(
        "S32",
        "Public code dictionary listing SNOMED 371004008 rupture of neoplasm",
        None,
        None,
        "Single informal source: unverified.",
    ),
    _c(
        "S33",
        "HL7 cancer-reporting IG examples (mitotic rate with CAP eCC codes)",
        None,
        "https://github.com/HL7/cancer-reporting",
    ),
    _c("S34", "Public gene tables (KIT HGNC:6342, PDGFRA HGNC:8803)", None, None),
    _c(
        "S35",
        "cancervariants therapy-normalisation test fixtures (rxcui:282388 imatinib)",
        None,
        None,
    ),
    _c(
        "S36",
        "CPIC schema drug table (RxNorm ingredient codes)",
        None,
        "https://github.com/cpicpgx/cpic-schema",
    ),
    _c(
        "S37",
        "Joensuu H. Risk stratification of patients diagnosed with gastrointestinal stromal "
        "tumor. Hum Pathol 2008;39(10):1411-9",
        2008,
        None,
        "Abstract.",
    ),
)

#: Every source of knowledge-base §8, by id.
CITATIONS: Mapping[str, Citation] = MappingProxyType({c.id: c for c in _ALL})

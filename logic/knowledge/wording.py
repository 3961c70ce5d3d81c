"""Clinical wording for card text (knowledge-base §1.K "Text on cards"), as data.

Cards speak to the treating clinician: program values become clinical terms, knowledge-engineering
notes (DESIGN / SECONDARY labels, translation defects of a seed, which sources were consulted)
stay on the rule page under "How this rule was built", every card recommending avapritinib,
ripretinib, regorafenib or sunitinib carries the §3 safety line, and a data-needed card says what
each plausible value of a missing fact would lead to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: Case values (enum values of logic/case.py) → the words a clinician uses.
CLINICAL_TERMS: Mapping[str, str] = MappingProxyType(
    {
        "kit-exon-11": "KIT exon 11",
        "kit-exon-9": "KIT exon 9",
        "kit-other": "KIT (other exon)",
        "pdgfra-d842v": "PDGFRA D842V",
        "pdgfra-other": "PDGFRA (non-D842V)",
        "sdh-deficient": "SDH-deficient",
        "nf1": "NF1-associated",
        "braf-v600e": "BRAF V600E",
        "ntrk-fusion": "NTRK fusion",
        "wild-type": "wild type",
        "small-intestine": "small intestine",
        "marginally-resectable": "marginally resectable",
        "irregular-border": "irregular border",
        "cystic-spaces": "cystic spaces",
        "echogenic-foci": "echogenic foci",
        "lymph-node": "lymph node",
        "complete-obstruction": "complete obstruction",
        "refractory-bleeding": "bleeding not controlled conservatively",
        "rupture-with-haemorrhage": "rupture with intra-abdominal haemorrhage",
        "on-hold": "on hold",
        "very-low": "very low",
    }
)

#: UCUM codes in record messages → words ("[in_i]" → "inches").
UCUM_WORDS: Mapping[str, str] = MappingProxyType(
    {"in_i": "inches", "ft_i": "feet", "HPF": "HPF", "lb_av": "pounds"}
)

#: Case field names and contract fact names → labels on cards.
FACT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "tki_history": "TKI history",
        "tkiHistory": "TKI history",
        "eus": "EUS features",
        "eusFeatures": "EUS features",
        "age_years": "Age",
        "ageYears": "Age",
        "mitoticCount": "Mitotic count",
        "tumourSize": "Tumour size",
        "diseaseState": "Disease state",
        "progressingLesions": "Number of progressing lesions",
        "imatinibDose": "Imatinib dose",
        "unreadableRecord": "Unreadable record",
        "genotype": "Genotype",
        "margin": "Resection margin",
    }
)

#: §3 safety lines [S38] (US prescribing information), for every card recommending the drug.
SAFETY_LINES: Mapping[str, str] = MappingProxyType(
    {
        "avapritinib": "cognitive effects (memory, confusion) and intracranial haemorrhage: "
        "monitor, interrupt or reduce the dose; contraception until 6 weeks after the last dose.",
        "sunitinib": "hepatotoxicity (boxed warning): check liver tests; hypertension; "
        "hypothyroidism.",
        "regorafenib": "hepatotoxicity (boxed warning): liver tests before and during treatment; "
        "hand–foot skin reaction; hypertension; stop at least 2 weeks before surgery.",
        "ripretinib": "palmar-plantar erythrodysaesthesia; new primary cutaneous malignancies "
        "(skin checks); hypertension; cardiac dysfunction; withhold from 1 week before to 2 "
        "weeks after surgery.",
    }
)
SAFETY_SOURCE: Final = "US prescribing information"

#: Knowledge-engineering markers. A sentence holding one is a note for the rule page, never for
#: a card (the all-patients card test checks every answer against this pattern).
ENGINEERING_MARKERS: Final = re.compile(
    r"\bDESIGN\b|\bSECONDARY\b|\bUNCONFIRMED\b|\bUNVERIFIED\b|not (?:been )?consulted|"
    r"translation (?:error|defect)|machine translation|public clinical wiki|re-?encod|"
    r"knowledge[- ]base|\bseed\b|Provenance|public (?:regimen )?table|"
    r"as summarised\b|NCCN 1\.2026|\b[Ss]hown as (?:a|an|line)\b|\bcards?\b|\bindicator\b|"
    r"rule id"
)

#: Source nicknames of the knowledge base → the names a clinician knows.
CLINICIAN_PHRASES: Mapping[str, str] = MappingProxyType(
    {
        "the Chinese excerpt": "the Chinese GIST guideline",
        "Chinese excerpt": "Chinese GIST guideline",
    }
)

#: For a data-needed card: what each plausible value of a missing fact would lead to.
WHAT_IF: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "genotype": (
            "KIT exon 11, other KIT or PDGFRA non-D842V → imatinib 400 mg daily",
            "KIT exon 9 → imatinib 800 mg daily (400 mg twice daily)",
            "PDGFRA D842V → no imatinib; avapritinib 300 mg daily in advanced disease",
            "KIT/PDGFRA wild type → SDH, NF1, BRAF and NTRK work-up before any TKI",
        ),
        "rupture": (
            "rupture → high risk: adjuvant imatinib for at least 3 years (sensitive genotype)",
            "no rupture → risk from size, mitotic count and site",
        ),
        "margin": (
            "R0 or R1 → adjuvant decision by risk (no re-excision for R1)",
            "R2 → treated as advanced disease (systemic therapy)",
        ),
        "diseaseState": (
            "localized → surgery, neoadjuvant or adjuvant pathway",
            "metastatic or recurrent → TKI line by genotype and response",
        ),
        "resectability": (
            "resectable → surgery",
            "marginally resectable or unresectable → neoadjuvant TKI first",
        ),
        "response": (
            "responding or stable → continue the TKI; consider surgery if all lesions resectable",
            "focal progression → resect or ablate the growing lesion, continue the TKI",
            "multifocal progression → next TKI line; surgery not indicated",
        ),
        "tkiHistory": (
            "stopped for progression → next line",
            "stopped for intolerance → switch drug (e.g. imatinib → sunitinib)",
        ),
        "resection": (
            "resected → adjuvant decision by risk",
            "not resected → surgical or neoadjuvant pathway",
        ),
    }
)

"""Trial and series numbers quoted on cards (`Recommendation.evidence_numbers`), with sources.

Numbers are carried over as published in the knowledge base; each constant names its [Sx].
"""

from __future__ import annotations

from typing import Final

# Adjuvant therapy [S6]
SSG_XVIII: Final = (
    "SSG XVIII (3 vs 1 year adjuvant imatinib, high risk): 5-y RFS 65.6% vs 47.9% (HR 0.46); "
    "5-y OS 92% vs 81.7% (HR 0.45)"
)
SSG_XVIII_EXON11: Final = "SSG XVIII, KIT exon 11 subgroup: 5-y RFS 71.0% vs 41.3%"
EORTC_62024: Final = (
    "EORTC 62024 (2 y imatinib vs observation, intermediate/high risk): 3-y RFS 84% vs 66% "
    "(interim report, J Clin Oncol 2015); no OS difference in the final analysis (5-y 93% vs "
    "92%; 10-y 80% vs 78%; Ann Oncol 2021)"
)
ACOSOG_Z9001: Final = (
    "ACOSOG Z9001 (≥3 cm, 1 y imatinib vs placebo): 1-y RFS 98% vs 83% (HR 0.35), no OS difference"
)
PERSIST_5: Final = (
    "PERSIST-5 (phase II, 5 y adjuvant imatinib, n=91): estimated 5-y RFS 90%; 49% stopped early"
)
# Neoadjuvant [S6]
ASIAN_NEOADJUVANT: Final = (
    "Asian phase II (gastric >10 cm, imatinib 400 mg 6–9 months): maximal shrinkage by 24 weeks "
    "in 63%, median 26 weeks before surgery, R0 91%"
)
# Advanced disease [S6]
IMATINIB_ADVANCED: Final = (
    "Imatinib in advanced GIST: median time to progression 24–40 months, median survival "
    "45–60 months"
)
IMATINIB_ESCALATION: Final = (
    "Imatinib 400 → 800 mg after progression: about one third respond or stabilise"
)
NAVIGATOR: Final = (
    "NAVIGATOR (Lancet Oncol 2020; avapritinib, PDGFRA D842V dataset n=56): ORR 88%, CR 9%, "
    "1-y PFS 81%"
)
SUNITINIB_PHASE3: Final = "Sunitinib phase III after imatinib: TTP 27.3 vs 6.4 weeks (HR 0.33)"
GRID: Final = "GRID (regorafenib vs placebo): PFS 4.8 vs 0.9 months (HR 0.27)"
INVICTUS: Final = "INVICTUS (ripretinib vs placebo): PFS 6.3 vs 1.0 months; OS 15.1 vs 6.6 months"
INTRIGUE: Final = "INTRIGUE: ripretinib gave no PFS gain over sunitinib in second line"
VOYAGER: Final = (
    "VOYAGER (3rd/4th line): PFS 4.2 months avapritinib vs 5.6 months regorafenib; worse in "
    "non-D842V disease"
)
SORAFENIB_PHASE2: Final = "Sorafenib phase II: disease control 68%, PFS about 5 months"
NILOTINIB_PHASE3: Final = "Nilotinib phase III: no PFS benefit on central review"
PAZOGIST: Final = "PAZOGIST (pazopanib): 4-month PFS 45.2% vs 17.6%"  # [S24b]
# Surgery in advanced disease [S3][S6]
MSKCC_RESPONSIVE: Final = "MSKCC, responsive disease (n=20): 2-y PFS 61%, 2-y OS 100%"
MSKCC_FOCAL: Final = "MSKCC, focal resistance (n=13): progression at median 12 months; 2-y OS 36%"
MSKCC_MULTIFOCAL: Final = (
    "MSKCC, multifocal resistance (n=7): progression at median 3 months; 1-y OS 36%"
)
RAUT_STABLE: Final = (
    "Raut 2006, stable disease: no evidence of disease after surgery 78%; 12-month PFS 80%, OS 95%"
)
RAUT_LIMITED: Final = (
    "Raut 2006, limited progression: no evidence of disease 25%; 12-month PFS 33%, OS 86%"
)
RAUT_GENERALISED: Final = (
    "Raut 2006, generalised progression: no evidence of disease 7%; 12-month PFS 0%, OS 0%"
)
# Liver metastases [S4][S26]
NCT06038552: Final = (
    "NCT06038552 (238 patients): 10-y OS 91.9% imatinib + hepatic resection vs 61.1% imatinib "
    "alone vs 55.2% imatinib + RFA/TACE (P=0.015); median OS 132.6 months with imatinib alone"
)
NCT06038552_NED: Final = (
    "NCT06038552: reaching no evidence of disease was independently associated with OS"
)
YANG_ABLATION: Final = (
    "Thermal ablation vs hepatic resection (55 patients): median OS 102 vs 117 months, fewer "
    "complications and shorter stay, lower PFS with ablation"
)

"""Named scenario cases (hand-built GistCases) and the rule ids each must produce.

Together the expected ids cover every card-making rule of the registry, so deleting any rule
makes `test_scenarios` fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from logic.case import (
    Certainty,
    DiseaseState,
    Drug,
    EmergencyKind,
    EusFeature,
    Fact,
    Genotype,
    GistCase,
    Margin,
    MetastaticSite,
    PerformanceScale,
    PerformanceStatus,
    PrimaryTumour,
    Provenance,
    Resectability,
    ResponseStatus,
    Site,
    StopReason,
    TherapySetting,
    TherapyStatus,
)
from tests.logic.conftest import course, finding, make_case

G, KIT11 = Site.STOMACH, Genotype.KIT_EXON_11
MET, REC = DiseaseState.METASTATIC, DiseaseState.RECURRENT
LIVER, PERI = MetastaticSite.LIVER, MetastaticSite.PERITONEUM
PROG, INTOL = StopReason.PROGRESSION, StopReason.INTOLERANCE
NEO, ADJ = TherapySetting.NEOADJUVANT, TherapySetting.ADJUVANT
MARGINAL, UNRES = Resectability.MARGINALLY_RESECTABLE, Resectability.UNRESECTABLE
D = dt.date


def resected(**kw: object) -> GistCase:
    base: dict[str, object] = {
        "site": G,
        "size": 4.0,
        "mitoses": 3,
        "rupture": False,
        "genotype": KIT11,
        "resected": True,
        "margin": Margin.R0,
    }
    base.update(kw)
    return make_case(**base)  # type: ignore[arg-type]


def advanced(*courses_: object, **kw: object) -> GistCase:
    base: dict[str, object] = {
        "site": G,
        "genotype": KIT11,
        "state": MET,
        "metastases": (LIVER, PERI),
        "courses": courses_,
    }
    base.update(kw)
    return make_case(**base)  # type: ignore[arg-type]


def neo(**kw: object) -> GistCase:
    base: dict[str, object] = {"site": Site.RECTUM, "size": 4.0, "resectability": MARGINAL}
    base.update(kw)
    return make_case(**base)  # type: ignore[arg-type]


IMA400_PROG = course(Drug.IMATINIB, 400, stop=PROG, start=D(2023, 1, 1), end=D(2024, 6, 1))
SUN_PROG = course(Drug.SUNITINIB, 50, line=2, stop=PROG, start=D(2024, 6, 2), end=D(2025, 3, 1))
REGO_PROG = course(Drug.REGORAFENIB, 160, line=3, stop=PROG, start=D(2025, 3, 2), end=D(2025, 9, 1))
RIPR_PROG = course(Drug.RIPRETINIB, 150, line=4, stop=PROG, start=D(2025, 9, 2), end=D(2026, 4, 1))
NEO_ACTIVE = course(Drug.IMATINIB, 400, setting=NEO, start=D(2025, 1, 1))

#: name -> (case, rule ids that must be among the cards)
SCENARIOS: dict[str, tuple[GistCase, set[str]]] = {
    "B1 small gastric, clean EUS": (make_case(site=G, size=1.5, eus_present=()), {"B1"}),
    "B2 EUS high-risk features": (
        make_case(site=G, size=1.2, eus_present={EusFeature.IRREGULAR_BORDER}),
        {"B2"},
    ),
    "B4 growth under surveillance": (
        make_case(site=G, size=1.5, eus_present=(), size_history=(1.0,)),
        {"B4"},
    ),
    "B5 mitoses >5": (make_case(site=G, size=1.5, mitoses=8), {"B5"}),
    "B6 small jejunal": (make_case(site=Site.JEJUNUM, size=1.6), {"B6"}),
    "B7 exactly 2.0 cm": (make_case(site=G, size=2.0, eus_present=()), {"B7"}),
    "C1 resectable gastric": (
        make_case(site=G, size=4.5, genotype=KIT11, resectability=Resectability.RESECTABLE),
        {"C1"},
    ),
    "C4 R1 margin": (resected(margin=Margin.R1), {"C4", "F7"}),
    "D1 D2 genotype unknown": (neo(), {"D1", "D2"}),
    "D3 KIT exon 11": (neo(genotype=KIT11), {"D3"}),
    "D4 KIT exon 9": (neo(genotype=Genotype.KIT_EXON_9), {"D4"}),
    "D5 D842V": (neo(genotype=Genotype.PDGFRA_D842V), {"D5"}),
    "D6 SDH": (neo(genotype=Genotype.SDH_DEFICIENT), {"D6"}),
    "D7 NTRK": (neo(genotype=Genotype.NTRK_FUSION), {"D7"}),
    "D10 after neoadjuvant": (
        resected(
            courses=(
                course(Drug.IMATINIB, 400, setting=NEO, start=D(2024, 6, 1), end=D(2025, 1, 10)),
            ),
            mitoses=None,
            size=None,
        ),
        {"D10"},
    ),
    "D11 still unresectable": (
        neo(
            genotype=KIT11,
            resectability=UNRES,
            courses=(NEO_ACTIVE,),
            response=ResponseStatus.STABLE,
            response_date=D(2025, 9, 1),
        ),
        {"D11"},
    ),
    "D13 neoadjuvant under way, response pending": (
        neo(genotype=KIT11, courses=(NEO_ACTIVE,)),
        {"D13", "P5"},
    ),
    "D12 progression on neoadjuvant": (
        neo(genotype=KIT11, courses=(NEO_ACTIVE,), response=ResponseStatus.WORSENED),
        {"D12"},
    ),
    "D14 became resectable (H5 folded in)": (
        neo(
            genotype=KIT11,
            resectability=Resectability.RESECTABLE,
            courses=(NEO_ACTIVE,),
            response=ResponseStatus.IMPROVED,
        ),
        {"D14"},
    ),
    "F1 high risk gastric": (resected(size=6.0, mitoses=6), {"F1"}),
    "F2 KIT exon 9": (resected(size=6.0, mitoses=6, genotype=Genotype.KIT_EXON_9), {"F2"}),
    "F3 D842V": (resected(size=12.0, mitoses=8, genotype=Genotype.PDGFRA_D842V), {"F3"}),
    "F4 genotype unknown": (resected(size=6.0, mitoses=6, genotype=None), {"F4", "F1"}),
    "F5 rupture": (resected(size=3.0, mitoses=2, rupture=True), {"F5"}),
    "F6 intermediate": (resected(size=6.0, mitoses=5), {"F6"}),
    "F7 low": (resected(), {"F7"}),
    "F8 adjuvant finished": (
        resected(
            size=6.0,
            mitoses=6,
            courses=(
                course(
                    Drug.IMATINIB,
                    400,
                    setting=ADJ,
                    status=TherapyStatus.COMPLETED,
                    start=D(2022, 1, 1),
                    end=D(2025, 1, 1),
                ),
            ),
        ),
        {"F8"},
    ),
    "F10 adjuvant stopped for intolerance": (
        resected(
            size=6.0,
            mitoses=6,
            courses=(
                course(
                    Drug.IMATINIB,
                    400,
                    setting=ADJ,
                    status=TherapyStatus.STOPPED,
                    stop=INTOL,
                    start=D(2025, 1, 1),
                    end=D(2025, 9, 1),
                ),
            ),
        ),
        {"F10"},
    ),
    "F11 E3 resected wild type, NIH and AFIP disagree": (
        resected(size=1.5, mitoses=8, genotype=Genotype.WILD_TYPE, site=Site.JEJUNUM),
        {"F11", "F3"},
    ),
    "G19 advanced wild type": (advanced(genotype=Genotype.WILD_TYPE), {"G19", "G15"}),
    "G1 first line": (advanced(), {"G1"}),
    "G1 genotype pending": (advanced(genotype=None), {"G1"}),
    "G2 exon 9": (advanced(genotype=Genotype.KIT_EXON_9), {"G2"}),
    "G3 D842V": (advanced(genotype=Genotype.PDGFRA_D842V), {"G3"}),
    "G4 NTRK": (advanced(genotype=Genotype.NTRK_FUSION), {"G4"}),
    "G5 BRAF": (advanced(genotype=Genotype.BRAF_V600E), {"G5"}),
    "G6 SDH": (advanced(genotype=Genotype.SDH_DEFICIENT), {"G6", "G15"}),
    "G7 progression on 400": (
        advanced(course(Drug.IMATINIB, 400), response=ResponseStatus.WORSENED, lesions=3),
        {"G7", "H3"},
    ),
    "G8 imatinib intolerance": (advanced(course(Drug.IMATINIB, 400, stop=INTOL)), {"G8"}),
    "G9 progression on 800": (
        advanced(IMA400_PROG, course(Drug.IMATINIB, 800, stop=PROG, start=D(2024, 6, 2))),
        {"G9", "P5"},
    ),
    "G10 third line": (advanced(IMA400_PROG, SUN_PROG), {"G10", "P5"}),
    "G11 fourth line": (advanced(IMA400_PROG, SUN_PROG, REGO_PROG), {"G11", "P5"}),
    "G12 G15 exhausted": (
        advanced(IMA400_PROG, SUN_PROG, REGO_PROG, RIPR_PROG),
        {"G12", "G15", "P5"},
    ),
    "G13 avapritinib too early": (
        advanced(course(Drug.AVAPRITINIB, 300), response=ResponseStatus.STABLE),
        {"G13"},
    ),
    "G14 D842V after avapritinib": (
        advanced(course(Drug.AVAPRITINIB, 300, stop=PROG), genotype=Genotype.PDGFRA_D842V),
        {"G14", "P5"},
    ),
    "G16 recurrence after adjuvant": (
        advanced(
            state=REC,
            metastases=(PERI,),
            courses=(
                course(
                    Drug.IMATINIB,
                    400,
                    setting=ADJ,
                    status=TherapyStatus.COMPLETED,
                    start=D(2020, 1, 1),
                    end=D(2023, 1, 1),
                ),
            ),
        ),
        {"G16"},
    ),
    "G18 recurrence during adjuvant imatinib": (
        advanced(
            state=REC,
            metastases=(PERI,),
            courses=(course(Drug.IMATINIB, 400, setting=ADJ, start=D(2025, 1, 1)),),
        ),
        {"G18", "P5"},
    ),
    "I2 I8 perforation on imatinib": (
        advanced(
            course(Drug.IMATINIB, 400, start=D(2025, 4, 1)),
            response=ResponseStatus.STABLE,
            emergencies=[finding(EmergencyKind.PERFORATION)],
        ),
        {"I2", "G1"},
    ),
    "C1 K1 resectable but ECOG 3": (
        dataclasses.replace(
            make_case(site=G, size=4.0, resectability=Resectability.RESECTABLE),
            performance_status=Fact.known(
                PerformanceStatus(PerformanceScale.ECOG, 3, D(2026, 5, 1))
            ),
        ),
        {"C1"},
    ),
    "K2 two primaries": (
        dataclasses.replace(
            make_case(),
            primaries=(
                PrimaryTumour("c-1", Site.STOMACH, 3.0, Provenance("Condition", "c-1")),
                PrimaryTumour("c-2", Site.JEJUNUM, None, Provenance("Condition", "c-2")),
            ),
        ),
        {"K2"},
    ),
    "P6 resection status unknown": (
        dataclasses.replace(
            make_case(site=G, size=4.0, resectability=Resectability.RESECTABLE),
            resection_unknown="Procedure data could not be read",
        ),
        {"P6"},
    ),
    "H1 J1 responsive resectable": (
        advanced(
            course(Drug.IMATINIB, 400, start=D(2025, 4, 1)),
            response=ResponseStatus.IMPROVED,
            resectability=Resectability.RESECTABLE,
        ),
        {"G1", "H1", "J1"},
    ),
    "H2 focal progression": (
        advanced(course(Drug.IMATINIB, 400), response=ResponseStatus.WORSENED, lesions=1),
        {"H2", "G7", "P5"},
    ),
    "H4 naive resectable metastases": (
        advanced(resectability=Resectability.RESECTABLE),
        {"G1", "H4"},
    ),
    "J2 liver-only unresectable": (
        advanced(
            course(Drug.IMATINIB, 400),
            metastases=(LIVER,),
            response=ResponseStatus.STABLE,
            resectability=UNRES,
        ),
        {"J2", "G1"},
    ),
    "I1 complete obstruction": (
        make_case(
            site=Site.ILEUM, size=6, emergencies=[finding(EmergencyKind.COMPLETE_OBSTRUCTION)]
        ),
        {"I1"},
    ),
    "I2 perforation": (make_case(emergencies=[finding(EmergencyKind.PERFORATION)]), {"I2", "P5"}),
    "I3 refractory bleeding": (
        make_case(emergencies=[finding(EmergencyKind.REFRACTORY_BLEEDING)]),
        {"I3", "P5"},
    ),
    "I4 rupture with haemorrhage": (
        make_case(emergencies=[finding(EmergencyKind.RUPTURE_WITH_HAEMORRHAGE)]),
        {"I4", "P5"},
    ),
    "I5 abscess": (
        make_case(emergencies=[finding(EmergencyKind.ABSCESS, Certainty.POSSIBLE)]),
        {"I5", "P5"},
    ),
    "I6 controlled bleeding": (
        make_case(emergencies=[finding(EmergencyKind.BLEEDING)]),
        {"I6", "P5"},
    ),
    "P5 mitotic count missing": (resected(size=6.0, mitoses=None), {"P5"}),
}

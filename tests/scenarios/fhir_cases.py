"""EHR-shaped FHIR scenarios for the rules the sandbox patients do not show.

Each scenario is the resources an EHR holds for one patient (built with the mapping tests'
builders, dated relative to today so nothing is stale by accident) and the rule ids whose cards
(or folded lines) must appear. Together with the sandbox patients they reach every rule of the
registry (`test_every_rule_is_reachable_from_fhir`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fhir_mappings import fhir as f

Json = dict[str, Any]
STOMACH = [f.cc(f.SNOMED, "69695003", "Stomach structure")]
RECTUM = [f.cc(f.SNOMED, "34402009", "Rectum structure")]
JEJUNUM = [f.cc(f.SNOMED, "21306003", "Jejunal structure")]
IMATINIB = f.rx("282388", "imatinib")
SUNITINIB = f.rx("357977", "sunitinib")
AVAPRITINIB = f.named("Ayvakit 300 mg tablet")
NO_RESPONSE = [f.cc(f.SNOMED, "266721009", "No response to treatment")]


def ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Scenario:
    resources: Callable[[], list[Json]]  # built on use, so dates follow today
    rules: frozenset[str]  # rule ids that must appear (cards or folded lines)
    absent: frozenset[str] = field(default_factory=frozenset)  # rule ids that must not


def _gist(site: list[Json] | None = None, onset: int = 400, **extra: Any) -> Json:
    return f.gist(onsetDateTime=ago(onset), bodySite=site or STOMACH, **extra)


def _resectability(value: str, days: int = 30) -> Json:
    return f.gist_obs("res", "resectability", ago(days), valueCodeableConcept=f.cc(f.GIST, value))


def _status(code: str, days: int, lesions: int | None = None, rid: str = "st") -> Json:
    extra: Json = {}
    if lesions is not None:
        extra["component"] = [
            {"code": f.cc(f.GIST, "progressing-lesion-count"), "valueInteger": lesions}
        ]
    return f.observation(
        rid, f.cc(f.LOINC, "97509-4"), ago(days), valueCodeableConcept=f.cc(f.SNOMED, code), **extra
    )


IMPROVED, STABLE, WORSENED = "268910001", "359746009", "271299001"


def _resected(size_cm: float, mitoses: float, site: list[Json] | None = None) -> list[Json]:
    return [
        f.patient(),
        _gist(site, onset=200),
        f.resection(date=ago(180)),
        f.size("sz", size_cm, date=ago(180), specimen={"display": "resection specimen"}),
        f.mitoses("mit", mitoses, date=ago(180)),
        f.gist_obs("rup", "tumor-rupture", ago(180), valueBoolean=False),
    ]


def _metastatic(*more: Json, onset: int = 700) -> list[Json]:
    return [
        f.patient(),
        _gist(onset=onset),
        f.metastasis("met", f.cc(f.SNOMED, "94381002"), onset=ago(onset)),
        *more,
    ]


SCENARIOS: dict[str, Scenario] = {
    "B4 small gastric GIST grows under surveillance": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=500),
            f.size("sz1", 12, "mm", date=ago(400)),
            f.size("sz2", 17, "mm", date=ago(20)),
        ],
        frozenset({"B4"}),
    ),
    "B5 small gastric GIST with 8 mitoses": Scenario(
        lambda: [f.patient(), _gist(), f.size("sz", 16, "mm", date=ago(20)), f.mitoses("m", 8)],
        frozenset({"B5"}),
    ),
    "C4 R1 margin, low risk": Scenario(
        lambda: [
            *_resected(3.0, 2),
            f.gist_obs(
                "mrg", "resection-margin", ago(180), valueCodeableConcept=f.cc(f.GIST, "R1")
            ),
            f.kit(hgvs="p.Val559Asp"),
        ],
        frozenset({"C4", "F7"}),
    ),
    "D1 D2 marginal rectal GIST, genotype unknown": Scenario(
        lambda: [
            f.patient(),
            _gist(RECTUM, onset=40),
            f.size("sz", 4.5, date=ago(40)),
            _resectability("marginally-resectable"),
        ],
        frozenset({"D1", "D2", "D8", "D9"}),
    ),
    "D4 marginal KIT exon 9": Scenario(
        lambda: [
            f.patient(),
            _gist(JEJUNUM, onset=40),
            f.size("sz", 9, date=ago(40)),
            _resectability("marginally-resectable"),
            f.kit(hgvs="p.Ala502_Tyr503dup", exon=9),
        ],
        frozenset({"D4"}),
    ),
    "D5 marginal PDGFRA D842V": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=40),
            f.size("sz", 9, date=ago(40)),
            _resectability("marginally-resectable"),
            f.pdgfra(hgvs="p.Asp842Val"),
        ],
        frozenset({"D5", "C2"}),
    ),
    "D6 marginal SDH-deficient": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=40),
            f.size("sz", 9, date=ago(40)),
            _resectability("marginally-resectable"),
            f.gist_obs("sdh", "sdh-deficient", ago(30), valueBoolean=True),
        ],
        frozenset({"D6"}),
    ),
    "D7 marginal wild type": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=40),
            f.size("sz", 9, date=ago(40)),
            _resectability("marginally-resectable"),
            f.kit(present=False),
            f.pdgfra(present=False),
        ],
        frozenset({"D7"}),
    ),
    "D10 imatinib continues after surgery that followed neoadjuvant therapy": Scenario(
        lambda: [
            f.patient(),
            _gist(RECTUM, onset=400),
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("neo", IMATINIB, ago(380), ago(200), status="completed"),
            f.resection(date=ago(190)),
        ],
        frozenset({"D10"}),
    ),
    "D11 progression on neoadjuvant imatinib, unresectable": Scenario(
        lambda: [
            f.patient(),
            _gist(RECTUM, onset=200),
            f.kit(hgvs="p.Val559Asp"),
            _resectability("unresectable", days=190),
            f.med_statement("neo", IMATINIB, ago(180), status="active"),
            _status(WORSENED, 10),
        ],
        frozenset({"D11"}),
        frozenset({"D3", "D13"}),
    ),
    "D14 shrinking after 8 months of neoadjuvant imatinib, still marginal": Scenario(
        lambda: [
            f.patient(),
            _gist(RECTUM, onset=260),
            f.size("sz", 7, date=ago(250)),
            f.kit(hgvs="p.Val559Asp"),
            _resectability("marginally-resectable", days=250),
            f.med_statement("neo", IMATINIB, ago(240), status="active"),
            _status(IMPROVED, 10),
        ],
        frozenset({"D14", "C2", "H5"}),
        frozenset({"D3", "D11", "D13"}),
    ),
    "E3 F6 jejunal 1.5 cm with 8 mitoses: NIH intermediate, AFIP 50%": Scenario(
        lambda: [*_resected(1.5, 8, JEJUNUM), f.kit(hgvs="p.Val559Asp")],
        frozenset({"F6", "E3"}),
    ),
    "F8 adjuvant imatinib completed 3 years": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=1400),
            f.resection(date=ago(1380)),
            f.size("sz", 6, date=ago(1380)),
            f.mitoses("m", 8, date=ago(1380)),
            f.gist_obs("rup", "tumor-rupture", ago(1380), valueBoolean=False),
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("adj", IMATINIB, ago(1350), ago(250), status="completed"),
        ],
        frozenset({"F8"}),
        frozenset({"F10", "F1"}),
    ),
    "F10 adjuvant imatinib stopped after a year, reason not recorded": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=600),
            f.resection(date=ago(580)),
            f.size("sz", 6, date=ago(580)),
            f.mitoses("m", 8, date=ago(580)),
            f.gist_obs("rup", "tumor-rupture", ago(580), valueBoolean=False),
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("adj", IMATINIB, ago(560), ago(190), status="stopped"),
        ],
        frozenset({"F10"}),
        frozenset({"F8", "F1"}),
    ),
    "F10 adjuvant imatinib stopped for progression, no recurrence recorded": Scenario(
        lambda: [
            f.patient(),
            _gist(onset=600),
            f.resection(date=ago(580)),
            f.size("sz", 6, date=ago(580)),
            f.mitoses("m", 8, date=ago(580)),
            f.gist_obs("rup", "tumor-rupture", ago(580), valueBoolean=False),
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement(
                "adj", IMATINIB, ago(560), ago(100), status="stopped", statusReason=NO_RESPONSE
            ),
        ],
        frozenset({"F10"}),
        frozenset({"F1", "F8", "G16", "G18"}),
    ),
    "G9 progression on imatinib 800 mg": Scenario(
        lambda: _metastatic(
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement(
                "i4", IMATINIB, ago(690), ago(300), status="stopped", statusReason=NO_RESPONSE
            ),
            f.med_statement("i8", IMATINIB, ago(299), status="active", dose_mg=400, per_day=2),
            _status(WORSENED, 10, lesions=4),
        ),
        frozenset({"G9", "H3"}),
    ),
    "G10 progression on imatinib re-challenge after sunitinib: regorafenib, not sunitinib again": (
        Scenario(
            lambda: _metastatic(
                f.kit(hgvs="p.Val559Asp"),
                f.med_statement(
                    "i1", IMATINIB, ago(690), ago(500), status="stopped", statusReason=NO_RESPONSE
                ),
                f.med_statement(
                    "s1",
                    SUNITINIB,
                    ago(499),
                    ago(200),
                    status="stopped",
                    dose_mg=50,
                    statusReason=NO_RESPONSE,
                ),
                f.med_statement("i2", IMATINIB, ago(199), status="active"),
                _status(WORSENED, 10, lesions=3),
            ),
            frozenset({"G10"}),
            frozenset({"G7", "G9"}),
        )
    ),
    "G13 avapritinib before the standard lines (KIT exon 11)": Scenario(
        lambda: _metastatic(
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("ava", AVAPRITINIB, ago(200), status="active", dose_mg=300),
            _status(STABLE, 10),
        ),
        frozenset({"G13"}),
    ),
    "G14 PDGFRA D842V after avapritinib": Scenario(
        lambda: _metastatic(
            f.pdgfra(hgvs="p.Asp842Val"),
            f.med_statement(
                "ava",
                AVAPRITINIB,
                ago(600),
                ago(20),
                status="stopped",
                dose_mg=300,
                statusReason=NO_RESPONSE,
            ),
            _status(WORSENED, 25, lesions=3),
        ),
        frozenset({"G14"}),
    ),
    "G19 G15 metastatic wild type": Scenario(
        lambda: _metastatic(f.kit(present=False), f.pdgfra(present=False), onset=30),
        frozenset({"G19", "G15"}),
        frozenset({"G1"}),
    ),
    "H4 TKI-naive metastases judged resectable": Scenario(
        lambda: _metastatic(f.kit(hgvs="p.Val559Asp"), _resectability("resectable"), onset=30),
        frozenset({"H4", "G1"}),
    ),
    "I5 I8 intra-abdominal abscess while on imatinib": Scenario(
        lambda: _metastatic(
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("ima", IMATINIB, ago(300), status="active"),
            _status(STABLE, 20),
            f.condition(
                "abscess",
                f.cc(f.ICD10, "K65.1", "Peritoneal abscess"),
                onsetDateTime=ago(2),
            ),
        ),
        frozenset({"I5", "I8"}),
    ),
    "J1 liver metastases responding on imatinib": Scenario(
        lambda: _metastatic(
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("ima", IMATINIB, ago(300), status="active"),
            _status(IMPROVED, 20),
        ),
        frozenset({"J1", "G1", "J3", "J5"}),
    ),
    "K1 metastasectomy withheld for Karnofsky 40": Scenario(
        lambda: _metastatic(
            f.kit(hgvs="p.Val559Asp"),
            f.med_statement("ima", IMATINIB, ago(300), status="active"),
            _status(IMPROVED, 20),
            _resectability("resectable"),
            f.observation("kps", f.cc(f.LOINC, "89243-0"), ago(15), valueInteger=40),
        ),
        frozenset({"G1"}),
        frozenset({"H1", "J1"}),
    ),
}

"""§1.B: a very small gastric GIST (≤2 cm) is watched or resected; a non-gastric one is resected.

One record per rule: its condition (`when`), its card builder, its citations, reads and design
note; the registry collects every record of this module. SMALL_GASTRIC is the first-match
decision for a localized, unresected gastric tumour of 2 cm or less (logic.facts.localized_route):
B5 > B4 > B2 > B7 > B1, and the EUS assessment is asked for when none of them holds.
"""

from __future__ import annotations

from logic.case import GistCase
from logic.facts import LocalizedRoute, localized_route, mitoses, site, size_cm, symptomatic
from logic.recommendation import Category, MissingData, Recommendation
from logic.rule import Decision, Rule
from logic.rules.common import emergencies_used, emit, localized_facts, nothing

#: DESIGN: growth under surveillance = longest dimension up by at least this much over the
#: smallest earlier measurement (endoscopic measurement varies by about 1–2 mm).
GROWTH_CM = 0.2

SURGERY = Category.SURGERY
#: What the route to a §1.B rule and its card's facts read (logic.facts.localized_route).
_LOCALIZED_READS = (
    "site",
    "disease_state",
    "resection",
    "resected",
    "resection_unknown",
    "resectability",
    "tumour_size",
    "mitotic_count",
    "eus",
    "genotype",
    "metastases",
    "tki_history",
    "primaries",
)
#: B5 decides before growth and symptoms are looked at; the rules after it read them.
_SMALL_GASTRIC_READS = (*_LOCALIZED_READS, "size_history", "emergencies")


def _size(case: GistCase) -> float:
    sz = size_cm(case)
    assert sz is not None, "SMALL_GASTRIC is reached only with a known size"
    return sz


def _grew(case: GistCase) -> float | None:
    """Growth in cm over the smallest earlier measurement, when at least two sizes exist."""
    sizes = [s.cm for s in case.size_history]
    if case.tumour_size.is_known and case.tumour_size.value is not None:
        sizes.append(case.tumour_size.value.cm)
    if len(sizes) < 2:
        return None
    growth = sizes[-1] - min(sizes[:-1])
    return growth if growth >= GROWTH_CM else None


def _eus_present(case: GistCase) -> bool:
    eus = case.eus.value if case.eus.is_known else None
    return eus is not None and bool(eus.present)


def _eus_complete(case: GistCase) -> bool:
    eus = case.eus.value if case.eus.is_known else None
    return eus is not None and len(eus.assessed) == 5


# --- B5 ------------------------------------------------------------------------------------------


def _b5_when(case: GistCase) -> bool:
    mit = mitoses(case)
    return mit is not None and mit > 5


def _b5(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "B5",
            B5.citations,
            SURGERY,
            f"Resect: gastric GIST {_size(case):g} cm with {mitoses(case):g} mitoses/5 mm² (>5)",
            "Endoscopic surveillance is only listed for gastric GIST ≤2 cm with ≤5 "
            "mitoses per 5 mm² (50 HPF); a higher count calls for resection.",
            facts=localized_facts(case),
        )
    ]


B5 = Rule(
    rule_id="B5",
    section="1.B",
    title="Small gastric GIST with more than 5 mitoses: resection",
    statement="Resection (surveillance only for ≤2 cm and ≤5 mitoses/5 mm²).",
    conditions=("stomach, ≤2 cm", "mitotic count known and >5 per 5 mm²"),
    citations=("S6",),
    reads=_LOCALIZED_READS,
    categories=(SURGERY,),
    when=_b5_when,
    applies=lambda case: SMALL_GASTRIC.picks(case, "B5"),
    recommend=_b5,
    design_note=(
        "Decided first among the small gastric rules (B5 > B4 > B2 > B7 > B1): one card per "
        "small gastric tumour, in this order."
    ),
)


# --- B4 ------------------------------------------------------------------------------------------


def _b4_when(case: GistCase) -> bool:
    return _grew(case) is not None or symptomatic(case)


def _b4(case: GistCase) -> list[Recommendation]:
    growth = _grew(case)
    why = f"growth of {growth:.1f} cm" if growth is not None else "symptoms"
    return [
        emit(
            "B4",
            B4.citations,
            SURGERY,
            f"Resect: small gastric GIST under surveillance with {why}",
            "Growth, new symptoms such as bleeding, or a new EUS high-risk feature end "
            "surveillance of a small gastric GIST: resection is advised.",
            facts=(*localized_facts(case), *emergencies_used(case.emergencies)),
            notes=(
                f"DESIGN: growth = increase of ≥{GROWTH_CM:g} cm over the smallest "
                "earlier measurement.",
            ),
        )
    ]


B4 = Rule(
    rule_id="B4",
    section="1.B",
    title="Small gastric GIST under surveillance that grows or causes symptoms: resection",
    statement="Switch from surveillance to resection.",
    conditions=("stomach, ≤2 cm", "growth over earlier measurements, or bleeding/obstruction"),
    citations=("S20", "S5", "S13b"),
    reads=_SMALL_GASTRIC_READS,
    categories=(SURGERY,),
    when=_b4_when,
    applies=lambda case: SMALL_GASTRIC.picks(case, "B4"),
    recommend=_b4,
    design_note=(
        "Growth = longest dimension ≥0.2 cm above the smallest earlier measurement; any "
        "bleeding or obstruction finding counts as symptoms."
    ),
)


# --- B2 ------------------------------------------------------------------------------------------


def _b2(case: GistCase) -> list[Recommendation]:
    eus = case.eus.value
    assert eus is not None
    features = ", ".join(sorted(f.value for f in eus.present))
    return [
        emit(
            "B2",
            B2.citations,
            SURGERY,
            f"Resect small gastric GIST: EUS high-risk feature ({features})",
            "Any EUS high-risk feature (irregular border, cystic spaces, ulceration, "
            "echogenic foci, heterogeneity) in a gastric GIST under 2 cm favours "
            "resection; endoscopic resection is an acceptable alternative.",
            facts=localized_facts(case),
        )
    ]


B2 = Rule(
    rule_id="B2",
    section="1.B",
    title="Small gastric GIST with an EUS high-risk feature: resection",
    statement="Resection; endoscopic resection is an acceptable alternative.",
    conditions=("stomach, ≤2 cm, localized", "any EUS high-risk feature present"),
    citations=("S13b", "S1"),
    reads=_SMALL_GASTRIC_READS,
    categories=(SURGERY,),
    when=_eus_present,
    applies=lambda case: SMALL_GASTRIC.picks(case, "B2"),
    recommend=_b2,
)


# --- B7 ------------------------------------------------------------------------------------------


def _b7(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "B7",
            B7.citations,
            SURGERY,
            "Resection favoured: gastric GIST of exactly 2.0 cm (surveillance acceptable)",
            "At exactly 2 cm the guidelines disagree: NCCN (as summarised) and ACS use "
            "<2 cm for surveillance and PDQ resects 2 cm or larger, while ESMO 2009 and "
            "the Chinese excerpt use ≤2 cm.",
            facts=localized_facts(case),
            notes=(
                "Surveillance is acceptable under the ≤2 cm guidelines (ESMO 2009, "
                "Chinese excerpt).",
                "DESIGN (knowledge base): surgery favoured at the 2.0 cm edge.",
            ),
        )
    ]


B7 = Rule(
    rule_id="B7",
    section="1.B",
    title="Gastric GIST of exactly 2.0 cm: resection favoured",
    statement="Surgery favoured, noting surveillance is acceptable per the ≤2 cm guidelines.",
    conditions=("stomach, exactly 2.0 cm", "no other B rule decides"),
    citations=("S13b", "S5", "S6", "S20", "S1"),
    reads=_SMALL_GASTRIC_READS,
    categories=(SURGERY,),
    when=lambda case: size_cm(case) == 2.0,
    applies=lambda case: SMALL_GASTRIC.picks(case, "B7"),
    recommend=_b7,
    design_note='Exactly 2.0 cm → surgery favoured with a "surveillance acceptable" note (KB).',
)


# --- B1 ------------------------------------------------------------------------------------------


def _b1(case: GistCase) -> list[Recommendation]:
    return [
        emit(
            "B1",
            B1.citations,
            Category.SURVEILLANCE,
            f"Endoscopic/EUS surveillance: gastric GIST {_size(case):g} cm, "
            "no EUS high-risk feature",
            "A gastric GIST under 2 cm without EUS high-risk features may be followed by "
            "endoscopy/EUS; resection is also acceptable after shared decision (the "
            "evidence is insufficient either way). Resect if it grows, causes symptoms or "
            "develops a high-risk feature.",
            facts=localized_facts(case),
            notes=(
                "Confirm the lesion is asymptomatic: symptoms are not coded in the record "
                "beyond bleeding or obstruction.",
            ),
        )
    ]


B1 = Rule(
    rule_id="B1",
    section="1.B",
    title="Small gastric GIST without EUS high-risk features: surveillance",
    statement="Endoscopy/EUS follow-up; resection is also acceptable after shared decision.",
    conditions=(
        "stomach, <2 cm, localized, not resected",
        "all five EUS features assessed, none present",
        "no growth, symptoms or mitoses >5",
    ),
    citations=("S13b", "S1", "S5", "S6"),
    reads=_SMALL_GASTRIC_READS,
    categories=(Category.SURVEILLANCE,),
    when=_eus_complete,
    applies=lambda case: SMALL_GASTRIC.picks(case, "B1"),
    recommend=_b1,
    design_note=(
        "Surveillance only when all five EUS features were assessed and none is present; "
        "otherwise P5 requests the EUS assessment. Symptoms are only known from "
        "bleeding/obstruction findings; the card asks to confirm the lesion is asymptomatic."
    ),
)


def _eus_gap(case: GistCase) -> tuple[MissingData, ...]:
    eus = case.eus.value if case.eus.is_known else None
    assessed = len(eus.assessed) if eus is not None else 0
    return (
        MissingData(
            "eusFeatures",
            f"EUS features assessed: {assessed} of 5" if eus is not None else "no EUS assessment",
            "any high-risk feature → resection (B2); none → surveillance (B1)",
        ),
    )


SMALL_GASTRIC: Decision = Decision(
    name="localized gastric GIST of 2 cm or less",
    reached=lambda case: localized_route(case) is LocalizedRoute.SMALL_GASTRIC,
    rules=(B5, B4, B2, B7, B1),
    otherwise=_eus_gap,
)


# --- B3 (background) -----------------------------------------------------------------------------

B3 = Rule(
    rule_id="B3",
    section="1.B",
    title="Surveillance interval",
    statement=(
        "Once or twice a year is reasonable (ACS); ESMO 2009: EUS then periodic follow-up, "
        "excise if it grows; one cohort: EUS every 6–12 months for lesions ≥9.5 mm, every 2–3 "
        "years below; ESGE 2022 (undiagnosed gastric subepithelial lesions): EGD at 3–6 months, "
        "then every 1–2 years (10–20 mm) or 2–3 years (<10 mm)."
    ),
    conditions=("shown on the cards of B1, B7",),
    citations=("S5", "S20", "S22", "S21"),
    reads=_SMALL_GASTRIC_READS,
    categories=(),
    applies=lambda case: SMALL_GASTRIC.picks(case, "B1", "B7"),
    recommend=nothing,
    folds_into=("B1", "B7"),
    design_note="Background content: folded into the cards named, no card of its own.",
)


# --- B6 ------------------------------------------------------------------------------------------


def _b6(case: GistCase) -> list[Recommendation]:
    st = site(case)
    where = st.value if st else "non-gastric site"
    return [
        emit(
            "B6",
            B6.citations,
            SURGERY,
            f"Resect: GIST of the {where} is resected regardless of size",
            "Non-gastric GISTs (oesophagus, small bowel, colon, rectum) are resected whatever "
            "their size (SECONDARY: NCCN 1.2026 as summarised).",
            facts=localized_facts(case),
        )
    ]


B6 = Rule(
    rule_id="B6",
    section="1.B",
    title="Non-gastric GIST: resection regardless of size",
    statement="Resect non-gastric GIST whatever the size (SECONDARY).",
    conditions=(
        "site not stomach, localized, not resected",
        "≤2 cm or size unknown",
        "not marginally resectable/unresectable",
    ),
    citations=("S13b",),
    reads=_LOCALIZED_READS,
    categories=(SURGERY,),
    when=lambda case: True,
    applies=lambda case: NON_GASTRIC.picks(case, "B6"),
    recommend=_b6,
    design_note=(
        "Non-gastric ≤2 cm (or size unknown) → surgery regardless of size; >2 cm → C1/D1 by "
        "resectability. 'Resect non-gastric GIST regardless of size' is SECONDARY (NCCN "
        "1.2026 as summarised on a public clinical wiki) until the NCCN/ESMO text is checked."
    ),
)

NON_GASTRIC: Decision = Decision(
    name="localized non-gastric GIST of 2 cm or less, or of unknown size",
    reached=lambda case: localized_route(case) is LocalizedRoute.NON_GASTRIC_SMALL,
    rules=(B6,),
    otherwise=lambda case: (),
)

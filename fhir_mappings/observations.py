"""Observation extractor: size, mitoses, rupture, margin, resectability, EUS, response and the
simple genotype flags (SDH, NTRK). Variants are read by `genomics`.

Each reader returns a `Candidate` (a value with its source) or a string saying why the
Observation could not be used; the caller reports that string as an unreadable input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from fhir_mappings import codes, dates
from fhir_mappings.jsonpath import (
    JsonObj,
    codings,
    has_code,
    integer,
    number,
    obj,
    objs,
    reference,
    resource_id,
    text,
)
from fhir_mappings.selection import Candidate
from logic.case import (
    EusFeature,
    EusFindings,
    Margin,
    MitoticCount,
    Provenance,
    Resectability,
    ResponseStatus,
    SizeSource,
    TumourSize,
)


class ObsKind(StrEnum):
    SIZE = "tumour size"
    MITOSES = "mitotic count"
    RUPTURE = "tumour rupture"
    MARGIN = "resection margin"
    RESECTABILITY = "resectability"
    EUS = "EUS features"
    RESPONSE = "disease status"
    VARIANT = "genetic variant"
    SDH = "SDH deficiency"
    SDHB_IHC = "SDHB immunohistochemistry"
    NTRK = "NTRK fusion"


_GIST_KINDS = {
    codes.G_MITOTIC_COUNT: ObsKind.MITOSES,
    codes.G_TUMOR_RUPTURE: ObsKind.RUPTURE,
    codes.G_RESECTION_MARGIN: ObsKind.MARGIN,
    codes.G_RESECTABILITY: ObsKind.RESECTABILITY,
    codes.G_EUS: ObsKind.EUS,
    codes.G_SDH_DEFICIENT: ObsKind.SDH,
    codes.G_SDHB_IHC: ObsKind.SDHB_IHC,
    codes.G_NTRK_FUSION: ObsKind.NTRK,
}
_LOINC_KINDS = {
    codes.L_TUMOR_SIZE: ObsKind.SIZE,
    codes.L_LONGEST_DIMENSION: ObsKind.SIZE,
    codes.L_DISEASE_STATUS: ObsKind.RESPONSE,
    codes.L_VARIANT: ObsKind.VARIANT,
}


def kind_of(observation: JsonObj) -> ObsKind | None:
    """Which fact an Observation is about, from its code alone (cheap: used to pre-filter)."""
    code = observation.get("code")
    for coding in objs(obj(code).get("coding")):
        system, value = coding.get("system"), coding.get("code")
        if not isinstance(value, str):
            continue
        if system == codes.GIST and value in _GIST_KINDS:
            return _GIST_KINDS[value]
        if system == codes.LOINC and value in _LOINC_KINDS:
            return _LOINC_KINDS[value]
    label = text(obj(code).get("text"))
    if label is not None and "mitotic" in label.lower():  # also-accepted form (input profile)
        return ObsKind.MITOSES
    return None


#: Observation statuses that count, and how they rank between same-day results of one fact.
STATUS_RANK = {"preliminary": 0, "final": 1, "amended": 2, "corrected": 2, "appended": 2}
#: Not a result (yet, or any more): never used (input profile, "Result status").
NOT_A_RESULT = frozenset({"registered", "cancelled", "entered-in-error"})


def rank(observation: JsonObj) -> tuple[int, float]:
    """(status rank, issued instant) of an Observation: amended / corrected beat final, which
    beats preliminary; then the later `issued` wins."""
    status = text(observation.get("status")) or ""
    issued = dates.instant(observation.get("issued"))
    return STATUS_RANK.get(status, 1), issued.timestamp() if issued else 0.0


def is_preliminary(observation: JsonObj) -> bool:
    return text(observation.get("status")) == "preliminary"


def resection_evidence(observation: JsonObj, kind: ObsKind) -> str | None:
    """Why this Observation shows that a resection happened: a resection margin, or a tumour
    size measured on a pathology specimen (input profile, "Resection"); None otherwise."""
    label = provenance(observation).label()
    if kind is ObsKind.MARGIN:
        return f"a resection margin is recorded ({label}) but no resection Procedure was found"
    if kind is ObsKind.SIZE and observation.get("specimen"):
        return (
            f"a pathology specimen size is recorded ({label}) but no resection Procedure was found"
        )
    return None


def provenance(observation: JsonObj) -> Provenance:
    return Provenance("Observation", resource_id(observation), dates.observation_date(observation))


def _component(observation: JsonObj, system: str, code: str) -> JsonObj | None:
    return next(
        (c for c in objs(observation.get("component")) if has_code(c.get("code"), system, code)),
        None,
    )


def _absent_reason(element: JsonObj) -> str:
    reason = obj(element.get("dataAbsentReason"))
    label = text(reason.get("text")) or next((c or d for _, c, d in codings(reason)), None)
    return f"no value ({label})" if label else "no value"


def _bool_value(element: JsonObj) -> bool | None:
    """valueBoolean, or valueCodeableConcept LOINC LA9633-4 present / LA9634-2 absent [S15]."""
    value = element.get("valueBoolean")
    if isinstance(value, bool):
        return value
    concept = element.get("valueCodeableConcept")
    if has_code(concept, codes.LOINC, codes.LA_PRESENT):
        return True
    if has_code(concept, codes.LOINC, codes.LA_ABSENT):
        return False
    return None


def _gist_value(element: JsonObj) -> list[str]:
    return [c for s, c, _ in codings(element.get("valueCodeableConcept")) if s == codes.GIST and c]


# --- comparators ("Real EHR variations") -------------------------------------------------------

#: Where the decision tables change for size (cm): <=2 / >2-5 / >5-10 / >10 (modified NIH, AFIP
#: [S13a]; surveillance of <2 cm gastric GIST [S1]); exactly 2 cm has its own rule (B7).
SIZE_BOUNDARIES_CM = (Decimal(2), Decimal(5), Decimal(10))
SIZE_EXACT_CM = (Decimal(2),)
#: Where they change for mitoses per 5 mm²: <=5 / >5-10 / >10 (modified NIH, AFIP [S13a]).
MITOSES_BOUNDARIES = (Decimal(5), Decimal(10))
COMPARATORS = frozenset({"<", "<=", ">", ">="})


def _band(value: Decimal, boundaries: tuple[Decimal, ...]) -> int:
    return sum(1 for b in boundaries if value > b)


def comparator_problem(
    comparator: str | None,
    value: Decimal,
    boundaries: tuple[Decimal, ...],
    exact: tuple[Decimal, ...] = (),
) -> str | None:
    """Why a value with a comparator cannot be read as its bare number: the values it allows
    (e.g. anything above 5 for ">5") fall in more than one decision band, or the bare number
    itself lies in another band. None when the number can be used as it is."""
    if comparator is None:
        return None
    if comparator not in COMPARATORS:
        return f"comparator {comparator!r} is not understood"
    shown = f"{comparator}{value.normalize():f}"
    if comparator in (">", ">="):
        usable = _band(value, boundaries) == len(boundaries) and value not in exact
    else:
        usable = _band(value, boundaries) == 0 and value < min(exact, default=value + 1)
    if usable:
        return None
    return f"reported as '{shown}', which does not say which risk band applies"


def _unit(quantity: JsonObj) -> tuple[str | None, str | None]:
    """The quantity's UCUM `code` and its human `unit` text."""
    return text(quantity.get("code")), text(quantity.get("unit"))


# --- size [S14] ----------------------------------------------------------------------------------

_CM_PER = {"cm": Decimal(1), "mm": Decimal("0.1")}
#: 1 µm: anything smaller is a data-entry or unit error, not a measured tumour.
MIN_SIZE_CM = Decimal("0.0001")
_UNIT_WORDS = {
    "cm": "cm",
    "centimeter": "cm",
    "centimeters": "cm",
    "centimetre": "cm",
    "centimetres": "cm",
    "mm": "mm",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
}


def to_cm(value: Decimal, unit: str) -> float:
    """Exact decimal conversion, so 45 mm and 4.5 cm give the identical float."""
    return float(value * _CM_PER[unit])


def _size_unit(quantity: JsonObj) -> str | None:
    """cm or mm from the UCUM code, else the unit text; a code and a unit text that name
    different length units disagree, which makes the size unreadable."""
    code, label = _unit(quantity)
    from_label = _UNIT_WORDS.get(label.lower()) if label else None
    if code is not None and from_label is not None and code != from_label:
        raise ValueError(f"unit code {code!r} and unit text {label!r} disagree")
    return code or from_label or label


def _size_quantity(observation: JsonObj) -> JsonObj | None:
    code = observation.get("code")
    if has_code(code, codes.LOINC, codes.L_TUMOR_SIZE):
        component = _component(observation, codes.LOINC, codes.L_LONGEST_DIMENSION)
        if component is not None:
            return obj(component.get("valueQuantity")) or None
        return obj(observation.get("valueQuantity")) or None  # size directly on 21889-1
    if has_code(code, codes.LOINC, codes.L_LONGEST_DIMENSION):
        return obj(observation.get("valueQuantity")) or None
    return None


def size(observation: JsonObj) -> Candidate[TumourSize] | str:
    quantity = _size_quantity(observation)
    if quantity is None:
        return "no longest-dimension (LOINC 33728-7) quantity"
    value = number(quantity.get("value"))
    try:
        unit = _size_unit(quantity)
    except ValueError as exc:
        return f"tumour size {exc}"
    if value is None or value <= 0:
        return f"tumour size value {quantity.get('value')!r} is not a positive number"
    if unit not in _CM_PER:
        return f"tumour size unit {unit!r} is not cm or mm"
    in_cm = value * _CM_PER[unit]
    if in_cm < MIN_SIZE_CM:
        return f"tumour size value {quantity.get('value')!r} {unit} is below 1 micrometre"
    problem = comparator_problem(
        text(quantity.get("comparator")), in_cm, SIZE_BOUNDARIES_CM, SIZE_EXACT_CM
    )
    if problem is not None:
        return f"tumour size {problem}"
    source = SizeSource.PATHOLOGY if observation.get("specimen") else SizeSource.IMAGING
    prov = provenance(observation)
    return Candidate(TumourSize(to_cm(value, unit), source, prov.date), prov)


def size_targets(observation: JsonObj) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The Conditions a TumorSize names as its `focus`, and its bodySite SNOMED codes: a size of
    another lesion or organ is not the primary's size (input profile, "Whose size")."""
    refs = [reference(f) for f in objs(observation.get("focus"))]
    focus = tuple(r for r in refs if r is not None and ("Condition/" in r or r.startswith("urn:")))
    sites = tuple(
        c for s, c, _ in codings(observation.get("bodySite")) if s == codes.SNOMED and c is not None
    )
    return focus, sites


# --- mitotic count [S19][S13a] -------------------------------------------------------------------

#: Denominators that mean "per 5 mm²"; 50 HPF counts as equal [S19]. Others are not converted.
COMPARABLE_DENOMINATORS = frozenset({"/5.mm2", "/50.[HPF]"})
_AREA = re.compile(r"/?\s*(\d+(?:\.\d+)?)\s*\.?\s*(\[?hpfs?\]?|mm2|mm\^2|mm²|sq\.?\s*mm)", re.I)


def _denominator(unit: str) -> str:
    """UCUM unit without annotations, spaces or a leading 1: `{mitoses}/5.mm2` -> `/5.mm2`."""
    bare = "".join(unit.split())
    while "{" in bare and "}" in bare.split("{", 1)[1]:
        head, rest = bare.split("{", 1)
        bare = head + rest.split("}", 1)[1]
    return bare[1:] if bare.startswith("1/") else bare


def _area(unit: str | None) -> tuple[Decimal, str] | None:
    """(number, HPF|mm2) of a denominator written as code or as text: `/50.[HPF]`, `/50 HPF`."""
    if unit is None:
        return None
    m = _AREA.search(_denominator(unit))
    if m is None:
        return None
    kind = "HPF" if "hpf" in m.group(2).lower() else "mm2"
    return Decimal(m.group(1)), kind


def _ratio_count(observation: JsonObj) -> tuple[Decimal | None, str | None, str | None] | None:
    """valueRatio n / (5 mm² | 50 HPF) as (n, comparator, UCUM-style denominator)."""
    ratio = obj(observation.get("valueRatio"))
    if not ratio:
        return None
    numerator, denominator = obj(ratio.get("numerator")), obj(ratio.get("denominator"))
    size_of = number(denominator.get("value"))
    code, label = _unit(denominator)
    area = _area(f"/{size_of}.{code or label}" if size_of is not None else None)
    unit = None
    if area is not None:
        unit = f"/{area[0].normalize():f}.{'[HPF]' if area[1] == 'HPF' else 'mm2'}"
    return number(numerator.get("value")), text(numerator.get("comparator")), unit


def mitoses(observation: JsonObj) -> Candidate[MitoticCount] | str:
    quantity = obj(observation.get("valueQuantity"))
    ratio = _ratio_count(observation)
    if ratio is not None:
        value, comparator, unit = ratio
        raw: object = obj(obj(observation.get("valueRatio")).get("numerator")).get("value")
        if unit is None:
            return "mitotic count ratio has no readable area (5 mm² or 50 HPF)"
    else:
        raw = quantity.get("value") if quantity else observation.get("valueInteger")
        value = number(raw)
        comparator = text(quantity.get("comparator"))
        code, label = _unit(quantity)
        code_area, label_area = _area(code), _area(label)
        if code_area is not None and label_area is not None and code_area != label_area:
            return f"mitotic count unit code {code!r} and unit text {label!r} disagree"
        unit = code or label
    if value is None:
        return _absent_reason(observation)
    if value < 0:
        return f"mitotic count {raw!r} is negative"
    comparable = unit is not None and _denominator(unit) in COMPARABLE_DENOMINATORS
    if comparable:
        problem = comparator_problem(comparator, value, MITOSES_BOUNDARIES)
        if problem is not None:
            return f"mitotic count {problem}"
    elif comparator is not None:
        return f"mitotic count '{comparator}{value}' on an area that is not 5 mm² / 50 HPF"
    count = MitoticCount(float(value), comparable, None if comparable else (unit or "no unit"))
    return Candidate(count, provenance(observation))


# --- rupture, margin, resectability --------------------------------------------------------------


def rupture(observation: JsonObj) -> Candidate[bool] | str:
    value = _bool_value(observation)
    if value is None:
        return _absent_reason(observation)
    return Candidate(value, provenance(observation))


def margin(observation: JsonObj) -> Candidate[Margin] | str:
    found = [codes.MARGIN_CODES[c] for c in _gist_value(observation) if c in codes.MARGIN_CODES]
    if not found:
        return _absent_reason(observation)
    return Candidate(found[0], provenance(observation))


def resectability(observation: JsonObj) -> Candidate[Resectability] | str:
    found = [
        codes.RESECTABILITY_CODES[c]
        for c in _gist_value(observation)
        if c in codes.RESECTABILITY_CODES
    ]
    if not found:
        return _absent_reason(observation)
    return Candidate(found[0], provenance(observation))


# --- EUS [S1][S13b] ------------------------------------------------------------------------------


def eus(observation: JsonObj) -> Candidate[EusFindings] | str:
    assessed: set[EusFeature] = set()
    present: set[EusFeature] = set()
    for component in objs(observation.get("component")):
        for system, code, _ in codings(component.get("code")):
            if system != codes.GIST or code not in codes.EUS_CODES:
                continue
            value = component.get("valueBoolean")
            if not isinstance(value, bool):
                continue
            assessed.add(codes.EUS_CODES[code])
            if value:
                present.add(codes.EUS_CODES[code])
    if not assessed:
        return "no EUS feature component with a true/false value"
    return Candidate(EusFindings(frozenset(assessed), frozenset(present)), provenance(observation))


# --- genotype flags ------------------------------------------------------------------------------


def flag(observation: JsonObj, kind: ObsKind) -> Candidate[bool] | str:
    """SDH deficiency, SDHB IHC loss, or NTRK fusion as a yes/no finding."""
    if kind is ObsKind.SDHB_IHC:
        values = _gist_value(observation)
        if not values:
            return _absent_reason(observation)
        return Candidate(codes.G_LOSS in values, provenance(observation))
    value = _bool_value(observation)
    if value is None:
        return _absent_reason(observation)
    return Candidate(value, provenance(observation))


# --- response [S14] ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseReading:
    """One CancerDiseaseStatus: overall (`lesion` None) or for one lesion (its focus)."""

    status: ResponseStatus
    lesion: str | None
    progressing_lesions: int | None
    source: Provenance


def _lesion_of(observation: JsonObj) -> str | None:
    """The focus that names a lesion; a focus on a Condition (the cancer) means overall."""
    for focus in objs(observation.get("focus")):
        ref = reference(focus)
        if ref is not None and "Condition/" not in ref:
            return ref
        if ref is None and text(focus.get("display")):
            return f"display:{text(focus.get('display'))}"
    return None


def response(observation: JsonObj) -> ResponseReading | str:
    status = next(
        (
            codes.RESPONSE_SNOMED[c]
            for s, c, _ in codings(observation.get("valueCodeableConcept"))
            if s == codes.SNOMED and c in codes.RESPONSE_SNOMED
        ),
        None,
    )
    if status is None:
        return "disease status value is not improved/stable/worsened/undetermined (SNOMED)"
    count_component = _component(observation, codes.GIST, codes.G_PROGRESSING_LESIONS)
    count = None
    if count_component is not None:
        count = integer(count_component.get("valueInteger"))
        if count is None or count < 0:
            return "progressing-lesion-count is not a non-negative integer"
    return ResponseReading(status, _lesion_of(observation), count, provenance(observation))

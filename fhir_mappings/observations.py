"""Observation extractor: size, mitoses, rupture, margin, resectability, EUS, response and the
simple genotype flags (SDH, NTRK). Variants are read by `genomics`.

Each reader returns a `Candidate` (a value with its source) or a string saying why the
Observation could not be used; the caller reports that string as an unreadable input.
"""

from __future__ import annotations

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


# --- size [S14] ----------------------------------------------------------------------------------

_CM_PER = {"cm": Decimal(1), "mm": Decimal("0.1")}
#: 1 µm: anything smaller is a data-entry or unit error, not a measured tumour.
MIN_SIZE_CM = Decimal("0.0001")


def to_cm(value: Decimal, unit: str) -> float:
    """Exact decimal conversion, so 45 mm and 4.5 cm give the identical float."""
    return float(value * _CM_PER[unit])


def size(observation: JsonObj) -> Candidate[TumourSize] | str:
    quantity: JsonObj | None = None
    if has_code(observation.get("code"), codes.LOINC, codes.L_TUMOR_SIZE):
        component = _component(observation, codes.LOINC, codes.L_LONGEST_DIMENSION)
        if component is not None:
            quantity = obj(component.get("valueQuantity")) or None
    if quantity is None and has_code(
        observation.get("code"), codes.LOINC, codes.L_LONGEST_DIMENSION
    ):
        quantity = obj(observation.get("valueQuantity")) or None
    if quantity is None:
        return "no longest-dimension (LOINC 33728-7) quantity"
    value = number(quantity.get("value"))
    unit = text(quantity.get("code")) or text(quantity.get("unit"))
    if value is None or value <= 0:
        return f"tumour size value {quantity.get('value')!r} is not a positive number"
    if unit not in _CM_PER:
        return f"tumour size unit {unit!r} is not cm or mm"
    if value * _CM_PER[unit] < MIN_SIZE_CM:
        return f"tumour size value {quantity.get('value')!r} {unit} is below 1 micrometre"
    source = SizeSource.PATHOLOGY if observation.get("specimen") else SizeSource.IMAGING
    prov = provenance(observation)
    return Candidate(TumourSize(to_cm(value, unit), source, prov.date), prov)


# --- mitotic count [S19][S13a] -------------------------------------------------------------------

#: Denominators that mean "per 5 mm²"; 50 HPF counts as equal [S19]. Others are not converted.
COMPARABLE_DENOMINATORS = frozenset({"/5.mm2", "/50.[HPF]"})


def _denominator(unit: str) -> str:
    """UCUM unit without annotations, spaces or a leading 1: `{mitoses}/5.mm2` -> `/5.mm2`."""
    bare = "".join(unit.split())
    while "{" in bare and "}" in bare.split("{", 1)[1]:
        head, rest = bare.split("{", 1)
        bare = head + rest.split("}", 1)[1]
    return bare[1:] if bare.startswith("1/") else bare


def mitoses(observation: JsonObj) -> Candidate[MitoticCount] | str:
    quantity = obj(observation.get("valueQuantity"))
    raw = quantity.get("value") if quantity else observation.get("valueInteger")
    value = number(raw)
    if value is None:
        return _absent_reason(observation)
    if value < 0:
        return f"mitotic count {raw!r} is negative"
    unit = text(quantity.get("code")) or text(quantity.get("unit"))
    comparable = unit is not None and _denominator(unit) in COMPARABLE_DENOMINATORS
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

"""Clinician wording helpers (knowledge-base §1.K): what goes in, what a clinician reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds_hooks.card_text import (
    clinical_terms,
    clinician_text,
    fact_label,
    readable_problem,
    short_reference,
    summary_with_dose,
)
from logic.knowledge import regimens
from logic.knowledge.wording import ENGINEERING_MARKERS

SUMMARY_MAX = 139


@pytest.mark.parametrize(
    ("raw", "clinical"),
    [
        ("kit-exon-11", "KIT exon 11"),
        ("pdgfra-d842v", "PDGFRA D842V"),
        ("marginally-resectable", "marginally resectable"),
        ("no Observation gist#mitotic-count", "no mitotic count record"),
        ("D842V → no adjuvant (F4)", "D842V → no adjuvant"),
        ("no variant result (Observation LOINC 69548-6)", "no variant result"),
        ("rechallenge (interactions and toxicity, G17)", "rechallenge (interactions and toxicity)"),
        ("GIST of the jejunum — Condition/abc-gist2", "GIST of the jejunum — Condition record"),
    ],
)
def test_program_values_become_clinical_terms(raw: str, clinical: str) -> None:
    assert clinical_terms(raw) == clinical


def test_labels_are_words() -> None:
    assert fact_label("tki_history") == "TKI history"
    assert fact_label("mitoticCount") == "Mitotic count"
    assert fact_label("disease_state") == "Disease state"


def test_validation_messages_are_said_in_words() -> None:
    raw = (
        "Observation/obs-1: invalid FHIR R4: valueQuantity.value: Value error, Decimal value "
        "string does not match spec regex"
    )
    assert readable_problem(raw) == (
        "the Observation record could not be read: the value is not a number"
    )
    nested = (
        "Observation/s1: invalid FHIR R4: component[0].valueQuantity.value: Decimal value string "
        "does not match spec regex"
    )
    assert readable_problem(nested).endswith("the value is not a number")
    unit = "Observation/s1: tumour size unit '[in_i]' is not cm or mm"
    assert readable_problem(unit) == (
        "the Observation record could not be read: tumour size unit inches is not cm or mm"
    )
    assert clinical_terms("count given per /10.[HPF]") == "count given per 10 HPF"
    inside = (
        "not known: Procedure data could not be read (Procedure/p1: invalid FHIR R4: "
        "performedDateTime: Value error, DateTime value string does not match spec regex.)"
    )
    assert readable_problem(inside) == (
        "not known: Procedure data could not be read (the Procedure record could not be read: "
        "the date is not a valid date)"
    )
    assert clinical_terms("adjuvant decision (§1.E/§1.F)") == "adjuvant decision"
    assert clinical_terms("then sunitinib (D11, §1.G).") == "then sunitinib."
    dated = "Procedure/p1: invalid FHIR R4: performedDateTime: Input should be a valid datetime"
    assert (
        readable_problem(dated)
        == "the Procedure record could not be read: the date is not a valid date"
    )


@pytest.mark.parametrize(
    ("raw", "kept", "gone"),
    [
        (
            "Non-gastric GISTs are resected whatever their size (SECONDARY: NCCN 1.2026).",
            "Non-gastric GISTs are resected whatever their size.",
            "SECONDARY",
        ),
        (
            "Surgery does not help. The Chinese excerpt's sentence is a translation error.",
            "Surgery does not help.",
            "translation",
        ),
        (
            "DESIGN (knowledge base): surgery favoured at 2.0 cm.",
            "Surgery favoured at 2.0 cm.",
            "DESIGN",
        ),
        (
            "Use ≤2 cm (ESMO 2009, Chinese excerpt).",
            "Use ≤2 cm (ESMO 2009, Chinese GIST guideline).",
            "excerpt",
        ),
    ],
)
def test_engineering_notes_leave_the_card_and_clinical_words_stay(
    raw: str, kept: str, gone: str
) -> None:
    out = clinician_text(raw)
    assert out == kept
    assert gone not in out


_SENTENCES = st.lists(
    st.sampled_from(
        [
            "Imatinib 400 mg daily is the first line.",
            "SECONDARY: NCCN 1.2026 as re-encoded.",
            "ESMO 2022 was not consulted.",
            "DESIGN: shown as a warning.",
            "Resect if it grows (public clinical wiki).",
            "Surveillance every 6–12 months.",
        ]
    ),
    max_size=6,
)


@given(_SENTENCES)
def test_no_engineering_marker_survives(sentences: list[str]) -> None:
    out = clinician_text(" ".join(sentences))
    assert ENGINEERING_MARKERS.search(out) is None
    for clinical in ("Imatinib 400 mg daily is the first line.", "Surveillance every 6–12 months."):
        if clinical in sentences:
            assert clinical in out


def test_references_are_type_and_date() -> None:
    assert short_reference("Observation/abc-1 (2025-03-01)") == "Observation, 2025-03-01"
    assert short_reference("Condition/x") == "Condition"


def test_drug_summaries_gain_dose_and_schedule_within_the_cap() -> None:
    one = summary_with_dose(
        "Line 4 after progression: ripretinib", (regimens.RIPRETINIB_150,), SUMMARY_MAX
    )
    assert one == "Line 4 after progression: ripretinib 150 mg once daily"
    two = summary_with_dose(
        "Line 2: imatinib 800 mg or sunitinib",
        (regimens.IMATINIB_800, regimens.SUNITINIB_50_4_2),
        SUMMARY_MAX,
    )
    assert "sunitinib 50 mg once daily, 4 weeks on / 2 weeks off" in two
    long = "First line: sunitinib or regorafenib (modest responses) — advanced GIST, SDH-deficient"
    tight = summary_with_dose(long, (regimens.SUNITINIB_50_4_2, regimens.REGORAFENIB_160), 139)
    assert len(tight) <= SUMMARY_MAX
    assert "4 wk on/2 off" in tight  # a cyclic schedule is never shortened to a bare daily dose
    assert summary_with_dose("Surveillance", (), SUMMARY_MAX) == "Surveillance"


def test_a_later_mention_of_a_dosed_drug_never_gets_the_new_dose() -> None:
    summary = "Line 2: imatinib 800 mg or sunitinib — progressed on adjuvant imatinib"
    out = summary_with_dose(
        summary, (regimens.IMATINIB_800, regimens.SUNITINIB_50_4_2), SUMMARY_MAX
    )
    assert out.endswith("progressed on adjuvant imatinib")
    assert "sunitinib 50 mg" in out

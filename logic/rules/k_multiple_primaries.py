"""K2 (knowledge base §1.K): two or more GIST primaries at different sites.

Not a conflict between records: each tumour is listed with its site and size, and automated
per-tumour advice (surveillance, surgery, neoadjuvant or adjuvant therapy) is withheld for MDT
review of each tumour. Several GISTs suggest NF1, SDH-deficient or familial GIST, so the card
asks for genetic counselling and the wild-type work-up (F11).
"""

from __future__ import annotations

from logic.case import GistCase, PrimaryTumour
from logic.facts import has_metastatic_disease
from logic.recommendation import Category, MissingData
from logic.rule import Plan, Rule
from logic.rules.common import emit, per_case, picker

CITES = ("S6",)

_SITE_WORDS = {"small-intestine": "small intestine", "other": "other/extra-GI site"}


def _describe(tumour: PrimaryTumour) -> str:
    where = _SITE_WORDS.get(tumour.site.value, tumour.site.value) if tumour.site else "unknown site"
    size = f"{tumour.size_cm:g} cm" if tumour.size_cm is not None else "size not recorded"
    return f"{where} ({size})"


@per_case
def plan(case: GistCase) -> Plan:
    if not case.multiple_primaries:
        return Plan()
    listed = "; ".join(_describe(t) for t in case.primaries)
    items = tuple(
        MissingData(
            "primaries",
            f"GIST of the {_describe(t)} — Condition/{t.condition_id or 'without id'}",
            "each tumour needs its own decision (surveillance, surgery or neoadjuvant TKI by "
            "its site, size and resectability; adjuvant therapy by its own risk)",
        )
        for t in case.primaries
    )
    advanced = (
        " Systemic therapy for the metastatic disease is shown separately."
        if has_metastatic_disease(case)
        else ""
    )
    card = emit(
        "K2",
        CITES,
        Category.DATA_NEEDED,
        f"{len(case.primaries)} separate GIST primaries ({listed}): MDT review of each tumour",
        "The record holds GISTs at different sites: these are separate primary tumours, not "
        "conflicting records. Automated advice per tumour is withheld; review each tumour at the "
        "MDT. Several GISTs suggest NF1-associated, SDH-deficient or familial GIST: offer "
        "genetic counselling, SDHB immunohistochemistry, clinical NF1 assessment, and BRAF and "
        "NTRK testing where KIT and PDGFRA are wild type." + advanced,
        missing=items,
    )
    return Plan((card,))


_applies, _recommend = picker(plan, "K2")

K2 = Rule(
    rule_id="K2",
    section="1.K",
    title="Two or more GIST primaries at different sites",
    statement=(
        "One data-needed card naming each primary (site and size); automated per-tumour advice "
        "is withheld for MDT review of each tumour; multiple GISTs suggest NF1, SDH-deficient or "
        "familial GIST → genetic counselling (F11 work-up). Never reported as conflicting "
        "site or size."
    ),
    conditions=("two or more primary GIST Conditions whose sites are different organs",),
    citations=CITES,
    reads=("disease_state", "metastases", "primaries"),
    categories=(Category.DATA_NEEDED,),
    applies=_applies,
    recommend=_recommend,
    design_note=(
        '(KB §1.K) GIST Conditions naming two or more organs ("small intestine" and jejunum '
        "are one) → the case lists each primary (earliest Condition per organ, size from the "
        "TumorSize whose `focus` names it); site and size stay unknown rather than "
        "conflicting; a localized case gets no B–F card, only the K2 card (MDT per tumour, "
        "genetic counselling, F11 work-up). Metastatic disease keeps its systemic cards "
        "beside K2."
    ),
)

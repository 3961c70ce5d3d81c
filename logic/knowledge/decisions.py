"""DECISIONS.md, generated: the engine-wide decisions kept here, and each rule's design note
read from its record (a rule's DESIGN prose lives once, on the rule).

Regenerate with `python -m logic.knowledge.decisions`; tests/logic/test_decisions_file.py fails
when the file is out of date.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

from logic.knowledge.rule_sections import SECTION_TITLES, section_title
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.rule import Rule

DECISIONS_FILE = Path(__file__).with_name("DECISIONS.md")

#: A background rule's generic note: not a decision, left out of the file.
_GENERIC = "Background content: folded into the cards named, no card of its own."

#: Decisions that belong to no single rule: (heading, topic, decision and why).
GENERAL: tuple[tuple[str, str, str], ...] = (
    (
        "Risk tables and facts",
        "Risk",
        "Modified NIH decides adjuvant therapy, AFIP is display only (KB §1.E).",
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "Exactly 2.0 cm and exactly 5 mitoses are the lower stratum in both tables (KB §1.0); "
            "fractional counts: ≤5 / >5–≤10 / >10."
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "Non-gastric ≤2.0 cm with 6–10 mitoses = intermediate (resolved corner, Joensuu 2008 "
            "abstract [S37])."
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "`nih_modified(site=None)` classifies as non-gastric (never lower than gastric). On "
            "cards, an unknown site is asked for only when the gastric and non-gastric cells "
            "differ."
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "Unknown inputs are probed across their bands: if every probe gives the same category "
            "it is decided (e.g. >10 cm = high whatever the mitoses, rupture = high), otherwise "
            "the data request P5 names the facts and no adjuvant/surveillance card is issued."
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "Unknown rupture status is not assumed absent: it blocks a non-high answer (P5 asks "
            "for it)."
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "Mitotic counts on another denominator (e.g. per 10 HPF) are never converted: treated "
            'as unknown, with "pathology review" as the reason (KB §1.0).'
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "AFIP fallback to the jejunum/ileum column for insufficient-data cells and for colon, "
            "oesophagus, other and unspecified small intestine (KB §2.2); unknown site → no AFIP "
            "shown."
        ),
    ),
    (
        "Risk tables and facts",
        "Risk",
        (
            "AFIP gastric 3b = 12%, jejunum/ileum 3b = 52%, rectum 6b = 71%, jejunum/ileum 4 ≈ "
            "50% (KB §2.2 reconciliations). `AfipRisk.column` was added so rule pages can "
            "highlight the cell."
        ),
    ),
    (
        "Precedence (§1.1) and pathways",
        "Engine",
        (
            "Definite emergency → every elective-surgery category (surgery, metastasectomy, "
            "liver-directed) is withheld; TKI, surveillance and data cards remain. Possible "
            "emergencies do not withhold anything."
        ),
    ),
    (
        "Precedence (§1.1) and pathways",
        "Engine",
        (
            "Background rules (B3, C2, C3, C5, D8, D9, F9, G17, H6, H7, I7, J3, J4, J5) make no "
            "card; their statement, citations and evidence numbers are appended to their host "
            "cards."
        ),
    ),
    (
        "Precedence (§1.1) and pathways",
        "Pathway",
        (
            "Disease state unknown/conflicting with no metastasis recorded → no pathway is "
            "assumed; P5 asks for it."
        ),
    ),
    (
        "Advanced disease: continuing and sequencing",
        "Continue",
        (
            "Responding/stable disease → continue card under the rule that introduced the current "
            "drug (G1, G2, G3, G4, G5, G7, G9, G10, G11, G12, G13, G14). A response assessed "
            "before the current line started does not count; unknown response → continue card + "
            "response requested."
        ),
    ),
    (
        "Advanced disease: continuing and sequencing",
        "Sequencing",
        (
            "(2026.2) Progression on an imatinib re-challenge after sunitinib → the next drug not "
            "yet given (regorafenib, then ripretinib), never sunitinib again."
        ),
    ),
    (
        "Advanced disease: continuing and sequencing",
        "Sequencing",
        (
            "Intolerance of a non-imatinib drug → next drug on the ladder, with the G17 note "
            "(dose modification may be considered). NTRK/BRAF/SDH/NF1/D842V after their ladder → "
            "G15 only."
        ),
    ),
    (
        "Advanced disease: continuing and sequencing",
        "Regimens",
        (
            "Dabrafenib + trametinib is one Regimen (dose_mg_per_day = dabrafenib 300 mg); RxNorm "
            "codes only where §5.5 marks them confirmed."
        ),
    ),
    (
        "Cards",
        "All",
        (
            'A summary longer than 139 characters is cut at a word with "…" instead of failing '
            "the call; the property tests assert that no rule except P5 (which shortens its own "
            "list) needs it."
        ),
    ),
)


def _bullet(label: str, text: str) -> list[str]:
    return textwrap.wrap(
        f"- **{label}** {text}", width=100, subsequent_indent="  ", break_on_hyphens=False
    )


def render(rules: Iterable[Rule]) -> str:
    """The text of DECISIONS.md for these rules (in their registry order)."""
    lines = [
        f"# DESIGN and ambiguity decisions of the guideline logic (knowledge version "
        f"{KNOWLEDGE_VERSION})",
        "",
        "Generated by `python -m logic.knowledge.decisions` from logic/knowledge/decisions.py",
        "(engine-wide decisions) and the design note of each rule record. Do not edit by hand.",
        "Each bullet: rule id, the decision, and why (safer choice where the knowledge base is",
        "silent). Decisions marked (KB) implement a DESIGN choice stated in the knowledge base.",
    ]
    heading = None
    for title, label, text in GENERAL:
        if title != heading:
            lines += ["", f"## {title}"]
            heading = title
        lines += _bullet(label, text)
    order = list(SECTION_TITLES)
    for rule in sorted(rules, key=lambda r: order.index(r.section)):
        if not rule.design_note or rule.design_note == _GENERIC:
            continue
        title = f"§{rule.section} {section_title(rule.section)}"
        if title != heading:
            lines += ["", f"## {title}"]
            heading = title
        lines += _bullet(rule.rule_id, rule.design_note)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    from logic.registry import RULES

    DECISIONS_FILE.write_text(render(RULES.values()), encoding="utf-8")
    sys.stdout.write(f"wrote {DECISIONS_FILE}\n")

"""Genotype from Genomics Reporting Variant Observations plus the SDH/NF1/NTRK/BRAF evidence.

A Variant (LOINC 69548-6 [S15]) gives a gene (48018-6: HGNC id or symbol), presence (LA9633-4 /
LA9634-2) and optionally a p.HGVS change (48005-3, long `p.Asp842Val` or short `p.D842V`) and an
explicit gist#exon. Without an explicit exon the exon is derived from the codon (table below).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from fhir_mappings import codes
from fhir_mappings.jsonpath import JsonObj, codings, has_code, integer, obj, objs, text, words
from fhir_mappings.observations import provenance
from fhir_mappings.selection import Candidate, latest, sort_sources
from logic.case import Fact, FactStatus, Genotype, Provenance

# Codon ranges of the exons that decide the genotype class (protein positions, KIT NP_000213 /
# PDGFRA NP_006197 numbering). KIT exon 9 ≈ 449–514, exon 11 ≈ 550–592 and PDGFRA exon 18
# ≈ 814–854 are the input profile's ranges; the exon 11 range is corroborated by public variant-
# annotation code citing KIT exon 11 = codons 550–591/592 (juxtamembrane region), and every
# hotspot reviews list falls inside them: KIT exon 9 A502_Y503dup, exon 11 W557_K558del / V560,
# PDGFRA exon 18 D842V and D842_H845del. KIT exon 13 (627–664) and 17 (788–828) come from the
# same public annotation code and only ever give KIT_OTHER. PDGFRA exons 12/14 are left out: their
# boundaries were not verified, and the PDGFRA class is decided by the protein change (D842V or
# not), never by the exon.
EXON_CODONS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "KIT": ((9, 449, 514), (11, 550, 592), (13, 627, 664), (17, 788, 828)),
    "PDGFRA": ((18, 814, 854),),
}

_AA3 = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
}  # fmt: skip
_AA = r"(?:[A-Z][a-z]{2}|[A-Z*])"
_HGVS = re.compile(rf"(?:p\.)?\(?(?P<ref>{_AA})(?P<pos>\d+)(?P<rest>[A-Za-z0-9_*=]*)\)?")
_GENE_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True, slots=True)
class ProteinChange:
    ref: str  # one-letter amino acid
    codon: int
    alt: str | None  # one-letter amino acid for a substitution, else None
    synonymous: bool = False  # `p.Leu576=` or `p.L576L`: the protein is unchanged

    @property
    def short(self) -> str:
        return f"p.{self.ref}{self.codon}{self.alt or '…'}"


def _one_letter(aa: str) -> str | None:
    return aa if len(aa) == 1 else _AA3.get(aa)


def parse_protein(hgvs: str) -> ProteinChange | None:
    """`p.Asp842Val`, `p.D842V`, `NP_006197.1:p.(Asp842Val)`, `p.W557_K558del` ..."""
    tail = hgvs.split(":")[-1].strip()
    m = _HGVS.search(tail)
    if m is None:
        return None
    ref = _one_letter(m.group("ref"))
    if ref is None:
        return None
    rest = m.group("rest")
    alt = _one_letter(rest) if rest and re.fullmatch(_AA, rest) else None
    synonymous = rest == "=" or alt == ref
    return ProteinChange(ref, int(m.group("pos")), alt, synonymous)


def exon_for(gene: str, codon: int) -> int | None:
    return next((e for e, lo, hi in EXON_CODONS.get(gene, ()) if lo <= codon <= hi), None)


@dataclass(frozen=True, slots=True)
class VariantFinding:
    gene: str | None
    present: bool
    protein: ProteinChange | None
    exon: int | None
    source: Provenance


def _component(observation: JsonObj, system: str, code: str) -> JsonObj | None:
    return next(
        (c for c in objs(observation.get("component")) if has_code(c.get("code"), system, code)),
        None,
    )


def _gene(component: JsonObj | None) -> str | None:
    if component is None:
        return None
    concept = obj(component.get("valueCodeableConcept"))
    for system, code, _ in codings(concept):
        if code and system in (codes.HGNC, None):
            key = code.upper().removeprefix("HGNC:")
            if key in codes.HGNC_GENES:
                return codes.HGNC_GENES[key]
    labels = [text(concept.get("text"))] + [d for _, _, d in codings(concept)]
    for label in labels:
        for word in _GENE_WORD.findall(label or ""):
            symbol = str(word).upper()
            if symbol in codes.GENE_SYMBOLS:
                return symbol
    return None


def _hgvs(component: JsonObj | None) -> str | None:
    if component is None:
        return None
    concept = obj(component.get("valueCodeableConcept"))
    return (
        next((c for _, c, _ in codings(concept) if c), None)
        or text(concept.get("text"))
        or text(component.get("valueString"))
    )


class Significance(StrEnum):
    PATHOGENIC = "pathogenic or likely pathogenic"
    UNCERTAIN = "of uncertain significance"
    BENIGN = "benign or likely benign"


_SIGNIFICANCE_WORDS = (
    ("uncertain", Significance.UNCERTAIN),
    ("vus", Significance.UNCERTAIN),
    ("unknown significance", Significance.UNCERTAIN),
    ("benign", Significance.BENIGN),
    ("pathogenic", Significance.PATHOGENIC),
)


def significance(observation: JsonObj) -> Significance | None:
    """The clinical significance component (LOINC 53037-8), by answer code or words; None when
    the report gives none."""
    component = _component(observation, codes.LOINC, codes.L_CLINICAL_SIGNIFICANCE)
    if component is None:
        return None
    concept = component.get("valueCodeableConcept")
    for system, code, _ in codings(concept):
        if system == codes.LOINC and code in codes.SIGNIFICANCE_PATHOGENIC:
            return Significance.PATHOGENIC
        if system == codes.LOINC and code in codes.SIGNIFICANCE_UNCERTAIN:
            return Significance.UNCERTAIN
        if system == codes.LOINC and code in codes.SIGNIFICANCE_BENIGN:
            return Significance.BENIGN
    label = words(concept) or (text(component.get("valueString")) or "").lower()
    return next((sig for word, sig in _SIGNIFICANCE_WORDS if word in label), Significance.UNCERTAIN)


_NUMBER = re.compile(r"\d+")


def _exon(observation: JsonObj) -> int | None:
    """gist#exon (valueInteger), else LOINC 47999-8 as an integer, string ("Exon 11", "11/21")
    or concept text."""
    explicit = _component(observation, codes.GIST, codes.G_EXON)
    if explicit is not None:
        return integer(explicit.get("valueInteger"))
    loinc = _component(observation, codes.LOINC, codes.L_EXON)
    if loinc is None:
        return None
    if (value := integer(loinc.get("valueInteger"))) is not None:
        return value
    label = text(loinc.get("valueString")) or words(loinc.get("valueCodeableConcept"))
    m = _NUMBER.search(label or "")
    return int(m.group()) if m else None


def variant(observation: JsonObj) -> VariantFinding | str | None:
    """The variant, a reason it cannot be used (named), or None when it is correctly ignored (a
    benign or synonymous variant does not define a genotype: input profile)."""
    value = observation.get("valueCodeableConcept")
    if has_code(value, codes.LOINC, codes.LA_PRESENT):
        present = True
    elif has_code(value, codes.LOINC, codes.LA_ABSENT):
        present = False
    else:
        return "variant value is neither present (LA9633-4) nor absent (LA9634-2)"
    gene = _gene(_component(observation, codes.LOINC, codes.L_GENE_STUDIED))
    hgvs = _hgvs(_component(observation, codes.LOINC, codes.L_PROTEIN_HGVS))
    protein = parse_protein(hgvs) if hgvs else None
    exon = _exon(observation)
    if present:
        sig = significance(observation)
        if sig is Significance.BENIGN or (protein is not None and protein.synonymous):
            return None
        if sig is Significance.UNCERTAIN:
            shown = " ".join(p for p in (gene, hgvs) if p) or "variant"
            return (
                f"{shown} is a variant of uncertain significance: it does not define the genotype"
            )
    if hgvs and protein is None and exon is None:
        return f"protein change {hgvs!r} is not a readable p.HGVS"
    if exon is None and gene and protein:
        exon = exon_for(gene, protein.codon)
    return VariantFinding(gene, present, protein, exon, provenance(observation))


# --- genotype ------------------------------------------------------------------------------------


def _driver(v: VariantFinding) -> Genotype | str:
    """The class of a present KIT/PDGFRA variant, or why it cannot be classed."""
    if v.gene == "KIT":
        if v.exon == 11:
            return Genotype.KIT_EXON_11
        if v.exon == 9:
            return Genotype.KIT_EXON_9
        if v.exon is not None:
            return Genotype.KIT_OTHER
        return "a KIT variant without exon or readable codon"
    if v.protein is not None:
        d842v = (v.protein.ref, v.protein.codon, v.protein.alt) == ("D", 842, "V")
        return Genotype.PDGFRA_D842V if d842v else Genotype.PDGFRA_OTHER
    if v.exon is not None and v.exon != 18:  # D842V lies in exon 18 [S6]
        return Genotype.PDGFRA_OTHER
    return "a PDGFRA variant without a protein change (D842V or not?)"


def _is_braf_v600e(v: VariantFinding) -> bool:
    return (
        v.gene == "BRAF"
        and v.present
        and v.protein is not None
        and ((v.protein.ref, v.protein.codon, v.protein.alt) == ("V", 600, "E"))
    )


def _flag_true(cands: Sequence[Candidate[bool]]) -> list[Provenance]:
    fact = latest(cands, "")
    return list(fact.sources) if fact.status is FactStatus.KNOWN and fact.value else []


def genotype(
    variants: Sequence[VariantFinding],
    sdh: Sequence[Candidate[bool]],
    ntrk: Sequence[Candidate[bool]],
    nf1: Sequence[Provenance],
) -> Fact[Genotype]:
    """KIT/PDGFRA drivers first; else SDH/NF1/NTRK/BRAF subtype; else wild type when both
    KIT and PDGFRA were reported absent; contradictions make the fact CONFLICTING."""
    drivers = [v for v in variants if v.present and v.gene in ("KIT", "PDGFRA")]
    gene_negative = {
        v.gene: v for v in variants if not v.present and v.protein is None and v.gene is not None
    }
    clash = sorted({v.gene for v in drivers if v.gene in gene_negative})
    if clash:
        srcs = [v.source for v in variants if v.gene in clash]
        return Fact.conflicting(
            (),
            sort_sources(srcs),
            f"{'/'.join(c for c in clash if c)} reported both mutated and wild",
        )
    classed = [(v, _driver(v)) for v in drivers]
    known = [(v, g) for v, g in classed if isinstance(g, Genotype)]
    notes = [f"{g} ({v.source.label()})" for v, g in classed if not isinstance(g, Genotype)]
    if known:
        return _from_drivers(known, notes)
    if notes:
        return Fact.unknown("cannot class " + "; ".join(sorted(notes)))
    subtypes: dict[Genotype, list[Provenance]] = {}
    for g, srcs in (
        (Genotype.SDH_DEFICIENT, _flag_true(sdh)),
        (Genotype.NTRK_FUSION, _flag_true(ntrk)),
        (Genotype.NF1, list(nf1)),
        (Genotype.BRAF_V600E, [v.source for v in variants if _is_braf_v600e(v)]),
    ):
        if srcs:
            subtypes[g] = srcs
    if len(subtypes) > 1:
        all_srcs = [p for ps in subtypes.values() for p in ps]
        return Fact.conflicting(
            tuple(sorted(subtypes)), sort_sources(all_srcs), "several wild-type subtypes reported"
        )
    if subtypes:
        ((g, srcs),) = subtypes.items()
        return Fact.known(g, *sort_sources(srcs))
    if "KIT" in gene_negative and "PDGFRA" in gene_negative:
        srcs = [gene_negative["KIT"].source, gene_negative["PDGFRA"].source]
        return Fact.known(Genotype.WILD_TYPE, *sort_sources(srcs))
    tested = sorted(g for g in gene_negative if g in ("KIT", "PDGFRA"))
    if tested:
        return Fact.unknown(
            f"only {tested[0]} reported without a variant; need both KIT and PDGFRA"
        )
    return Fact.unknown("no KIT/PDGFRA variant result (Observation LOINC 69548-6)")


def _from_drivers(known: list[tuple[VariantFinding, Genotype]], notes: list[str]) -> Fact[Genotype]:
    classes = {g for _, g in known}
    primary = classes & {Genotype.KIT_EXON_9, Genotype.KIT_EXON_11}
    extra: list[str] = []
    if primary and Genotype.KIT_OTHER in classes:
        # Secondary KIT mutations (exons 13/14/17/18) arise on imatinib; the primary exon 9/11
        # mutation still defines the genotype [S6].
        classes.discard(Genotype.KIT_OTHER)
        extra.append("other KIT exon variants read as secondary mutations")
    srcs = sort_sources([v.source for v, g in known if g in classes])
    if len(classes) > 1:
        listed = ", ".join(sorted(f"{g} ({v.source.label()})" for v, g in known if g in classes))
        return Fact.conflicting(tuple(sorted(classes)), srcs, f"contradictory variants: {listed}")
    (only,) = classes
    extra += [f"also {n}" for n in sorted(notes)]
    return Fact.known(only, *srcs, note="; ".join(extra) or None)

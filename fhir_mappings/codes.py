"""Code systems and the codes the mapper recognises, as named constants.

Every code carries its knowledge-base source ([Sx], see shared/knowledge/gist-knowledge.md §8)
or the input profile (`specs/input-profile.md`, "IP") when it is a project (gist#) code.
No bare code strings appear in the extractors; they import from here.
"""

from __future__ import annotations

from typing import Final

from fhir_mappings import drug_codes
from logic.case import Drug, EusFeature, Margin, MetastaticSite, Resectability, ResponseStatus, Site

# --- systems [S14] -------------------------------------------------------------------------------
SNOMED: Final = "http://snomed.info/sct"
LOINC: Final = "http://loinc.org"
ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3: Final = "http://terminology.hl7.org/CodeSystem/icd-o-3"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
HGNC: Final = "http://www.genenames.org"
UCUM: Final = "http://unitsofmeasure.org"
GIST: Final = "http://gist-cds.org/fhir/CodeSystem/gist"  # project CodeSystem (IP)
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CPT: Final = "http://www.ama-assn.org/go/cpt"
ICD10PCS: Final = "http://www.cms.gov/Medicare/Coding/ICD10"

#: Other spellings of the same code system EHRs send (input profile, "Real EHR variations"):
#: the HL7 OIDs of RxNorm and ICD-10-CM, and HGNC's geneId URI. Codings are read through
#: `jsonpath.codings`, which maps these to the canonical URI, so no extractor sees an alias.
SYSTEM_ALIASES: Final[dict[str, str]] = {
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "http://www.genenames.org/geneId": HGNC,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "urn:oid:2.16.840.1.113883.6.4": ICD10PCS,
    "http://hl7.org/fhir/sid/icd-10-pcs": ICD10PCS,
}

# --- mCODE extensions [S14] ----------------------------------------------------------------------
EXT_HISTOLOGY: Final = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
EXT_RELATED_PRIMARY: Final = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition"
)

# --- diagnosis [S14][S27][S28] -------------------------------------------------------------------
GIST_SNOMED: Final = frozenset({"420120006"})  # [S27][S28]
#: ICD-10-CM C49.A- codes -> site; C49.A0 is "unspecified site" (None). [S14]
GIST_ICD10: Final[dict[str, Site | None]] = {
    "C49.A0": None,
    "C49.A1": Site.OESOPHAGUS,
    "C49.A2": Site.STOMACH,
    "C49.A3": Site.SMALL_INTESTINE,
    "C49.A4": Site.COLON,
    "C49.A5": Site.RECTUM,
    "C49.A9": Site.OTHER,
}
GIST_ICDO3: Final = frozenset({"8936/0", "8936/1", "8936/3"})  # [S27][S29]

#: bodySite SNOMED body structures -> primary site (input profile, DESIGN per [S6][S14]).
SITE_SNOMED: Final[dict[str, Site]] = {
    "69695003": Site.STOMACH,
    "38848004": Site.DUODENUM,
    "21306003": Site.JEJUNUM,
    "34516001": Site.ILEUM,
    "30315005": Site.SMALL_INTESTINE,
    "71854001": Site.COLON,
    "34402009": Site.RECTUM,
    "32849002": Site.OESOPHAGUS,
}
#: Words in a bodySite display/text naming an extra-GI primary (omentum, mesentery) [S6].
OTHER_SITE_WORDS: Final = ("omentum", "omental", "mesentery", "mesenteric")

# --- metastases [S14][S30] -----------------------------------------------------------------------
METASTASIS_SNOMED: Final = frozenset({"128462008", "94381002"})
METASTASIS_ICD10_PREFIXES: Final = ("C77", "C78", "C79")
METASTASIS_SITE_SNOMED: Final[dict[str, MetastaticSite]] = {
    "10200004": MetastaticSite.LIVER,
    "15425007": MetastaticSite.PERITONEUM,
    "39607008": MetastaticSite.LUNG,
    "272673000": MetastaticSite.BONE,
    "59441001": MetastaticSite.LYMPH_NODE,
}
#: Metastasis codes that name the site themselves (input profile; 94381002 per [S30]).
METASTASIS_SITE_FROM_CODE: Final[dict[str, MetastaticSite]] = {
    "94381002": MetastaticSite.LIVER,
    "C78.7": MetastaticSite.LIVER,
    "C78.6": MetastaticSite.PERITONEUM,
    "C79.51": MetastaticSite.BONE,
}

# --- other conditions [S31][S32] -----------------------------------------------------------------
NF1_SNOMED: Final = frozenset({"92824003"})  # input profile
NF1_ICD10: Final = frozenset({"Q85.01"})  # input profile
#: Intra-abdominal abscess (I5, an oncological emergency in PDQ [S6]): ICD-10-CM K65.1 peritoneal
#: abscess, K63.0 abscess of intestine. No SNOMED concept is bound: a generic "abscess" code
#: would also match abscesses elsewhere.
ABSCESS_ICD10: Final = frozenset({"K65.1", "K63.0"})
RUPTURE_SNOMED: Final = "371004008"  # [S32] single informal source, UNCONFIRMED
PERFORATION_SNOMED: Final = "56905009"  # [S31]
OBSTRUCTION_SNOMED: Final = "81060008"  # [S31]
HAEMORRHAGE_SNOMED: Final = "74474003"  # [S31]
RECURRENT_CLINICAL_STATUS: Final = frozenset({"recurrence", "relapse"})
INACTIVE_CLINICAL_STATUS: Final = frozenset({"inactive", "resolved", "remission"})
EXCLUDED_VERIFICATION: Final = frozenset({"refuted", "entered-in-error"})
TENTATIVE_VERIFICATION: Final = frozenset({"unconfirmed", "provisional", "differential"})
EXCLUDED_STATUS: Final = frozenset({"entered-in-error", "cancelled"})

# --- project codes (gist#) used by the input profile ---------------------------------------------
G_MITOTIC_COUNT: Final = "mitotic-count"
G_TUMOR_RUPTURE: Final = "tumor-rupture"
G_PRIMARY_RESECTION: Final = "primary-resection"
G_RESECTION_MARGIN: Final = "resection-margin"
G_RESECTABILITY: Final = "resectability"
G_EUS: Final = "eus-high-risk-features"
G_EXON: Final = "exon"
G_SDH_DEFICIENT: Final = "sdh-deficient"
G_SDHB_IHC: Final = "sdhb-ihc"
G_LOSS: Final = "loss"
G_NTRK_FUSION: Final = "ntrk-fusion"
G_PROGRESSING_LESIONS: Final = "progressing-lesion-count"
G_COMPLETE_OBSTRUCTION: Final = "complete-obstruction"
G_REFRACTORY_BLEEDING: Final = "refractory-bleeding"
G_RUPTURE_WITH_HEMORRHAGE: Final = "rupture-with-hemorrhage"
MARGIN_CODES: Final[dict[str, Margin]] = {"R0": Margin.R0, "R1": Margin.R1, "R2": Margin.R2}
RESECTABILITY_CODES: Final[dict[str, Resectability]] = {
    "resectable": Resectability.RESECTABLE,
    "marginally-resectable": Resectability.MARGINALLY_RESECTABLE,
    "unresectable": Resectability.UNRESECTABLE,
}
EUS_CODES: Final[dict[str, EusFeature]] = {f.value: f for f in EusFeature}  # [S1][S13b]

# --- LOINC [S14][S15] ----------------------------------------------------------------------------
L_TUMOR_SIZE: Final = "21889-1"
L_LONGEST_DIMENSION: Final = "33728-7"
L_DISEASE_STATUS: Final = "97509-4"
L_VARIANT: Final = "69548-6"
L_GENE_STUDIED: Final = "48018-6"
L_PROTEIN_HGVS: Final = "48005-3"
L_CLINICAL_SIGNIFICANCE: Final = "53037-8"  # [S15]
L_EXON: Final = "47999-8"  # exon (Genomics Reporting IG) [S15]
#: LOINC answer list of 53037-8 (ACMG classes); corroborated by public Genomics Reporting
#: examples and code tables. Only the first two define a genotype (input profile).
SIGNIFICANCE_PATHOGENIC: Final = frozenset({"LA6668-3", "LA26332-9"})
SIGNIFICANCE_UNCERTAIN: Final = frozenset({"LA26333-7"})
SIGNIFICANCE_BENIGN: Final = frozenset({"LA26334-5", "LA6675-8"})
LA_PRESENT: Final = "LA9633-4"
LA_ABSENT: Final = "LA9634-2"
SURGICAL_PROCEDURE_SNOMED: Final = "387713003"  # category, input profile

#: mCODE ConditionStatusTrendVS [S14]
RESPONSE_SNOMED: Final[dict[str, ResponseStatus]] = {
    "268910001": ResponseStatus.IMPROVED,
    "359746009": ResponseStatus.STABLE,
    "271299001": ResponseStatus.WORSENED,
    "709137006": ResponseStatus.UNDETERMINED,
}
STOP_PROGRESSION_SNOMED: Final = "266721009"  # no response to treatment [S14]
STOP_INTOLERANCE_SNOMED: Final = "407563006"  # treatment not tolerated [S14]

# --- genes [S15][S34] ----------------------------------------------------------------------------
HGNC_GENES: Final[dict[str, str]] = {"6342": "KIT", "8803": "PDGFRA", "1097": "BRAF"}
GENE_SYMBOLS: Final = frozenset(HGNC_GENES.values())

# --- drugs ---------------------------------------------------------------------------------------
#: RxNorm ingredient and product RxCUIs, with their sources, live in `drug_codes`.
RXNORM_DRUGS: Final[dict[str, Drug]] = drug_codes.ingredient_codes()
RXNORM_PRODUCTS: Final[dict[str, Drug]] = drug_codes.product_codes()
#: Lower-case ingredient and brand names (input profile; regimens per [S6][S23][S25]).
DRUG_NAMES: Final[dict[str, Drug]] = {
    **{d.value: d for d in Drug},
    "gleevec": Drug.IMATINIB,
    "glivec": Drug.IMATINIB,
    "sutent": Drug.SUNITINIB,
    "stivarga": Drug.REGORAFENIB,
    "qinlock": Drug.RIPRETINIB,
    "ayvakit": Drug.AVAPRITINIB,
    "nexavar": Drug.SORAFENIB,
    "sprycel": Drug.DASATINIB,
    "tasigna": Drug.NILOTINIB,
    "votrient": Drug.PAZOPANIB,
    "vitrakvi": Drug.LAROTRECTINIB,
    "rozlytrek": Drug.ENTRECTINIB,
    "tafinlar": Drug.DABRAFENIB,
    "mekinist": Drug.TRAMETINIB,
}

#: Every gist# code the input profile uses (the CodeSystem JSON must define each of them).
GIST_CODES_USED: Final = frozenset(
    {
        G_MITOTIC_COUNT,
        G_TUMOR_RUPTURE,
        G_PRIMARY_RESECTION,
        G_RESECTION_MARGIN,
        G_RESECTABILITY,
        G_EUS,
        G_EXON,
        G_SDH_DEFICIENT,
        G_SDHB_IHC,
        G_LOSS,
        G_NTRK_FUSION,
        G_PROGRESSING_LESIONS,
        G_COMPLETE_OBSTRUCTION,
        G_REFRACTORY_BLEEDING,
        G_RUPTURE_WITH_HEMORRHAGE,
        *MARGIN_CODES,
        *RESECTABILITY_CODES,
        *EUS_CODES,
    }
)

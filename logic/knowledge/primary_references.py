"""The primary publications and guidelines behind the knowledge base, as data.

Carried over from `shared/knowledge/primary-references.md` (knowledge-base §8b). Identifier rule:
a PMID or DOI is carried only where that file gives one as verified (PDQ reference list, PubMed,
publisher or portal page). Identifiers it marks UNVERIFIED, leaves blank, or saw only in a public
repository citation file ("Repo-only", which the file calls corroboration, not verification)
are left out; such a reference is cited by author, journal and year only.

`backs` names the `[Sx]` sources each reference backs or replaces, so a rule citing S-sources
can be given the primary references behind them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
DOI = "https://doi.org/"


@dataclass(frozen=True, slots=True)
class PrimaryReference:
    """One primary publication or guideline (a key of primary-references.md)."""

    key: str
    authors: str  # "Joensuu H, et al."
    title: str
    journal: str  # journal abbreviation with volume/pages where the file gives them
    year: int | None
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None  # a canonical https page where there is no PMID/DOI (registry, PDQ)
    label: str | None = None  # the trial or guideline name a clinician knows ("SSG XVIII")
    backs: tuple[str, ...] = ()  # [Sx] sources it backs or replaces

    @property
    def pubmed_url(self) -> str | None:
        return f"{PUBMED}{self.pmid}/" if self.pmid else None

    @property
    def doi_url(self) -> str | None:
        return f"{DOI}{self.doi}" if self.doi else None

    @property
    def link(self) -> str | None:
        """The best link: PubMed, then DOI, then the canonical page."""
        return self.pubmed_url or self.doi_url or self.url

    def short(self) -> str:
        """Author, journal and year, after the trial name: "SSG XVIII: Joensuu, JAMA 2012"."""
        first = self.authors.split(",")[0].rstrip(".").strip()
        surname = first.rsplit(" ", 1)[0] if " " in first and first[-1].isupper() else first
        journal = self.journal.split(f" {self.year}")[0].strip()
        cite = f"{surname}, {journal}" + (f" {self.year}" if self.year else "")
        return f"{self.label}: {cite}" if self.label else cite


def _r(
    key: str,
    authors: str,
    title: str,
    journal: str,
    year: int | None,
    *,
    pmid: str | None = None,
    doi: str | None = None,
    url: str | None = None,
    label: str | None = None,
    backs: tuple[str, ...] = (),
) -> PrimaryReference:
    return PrimaryReference(key, authors, title, journal, year, pmid, doi, url, label, backs)


_ALL: tuple[PrimaryReference, ...] = (
    # 1a. Risk stratification and pathology
    _r(
        "JOENSUU2008",
        "Joensuu H.",
        "Risk stratification of patients diagnosed with gastrointestinal stromal tumor",
        "Hum Pathol 2008;39(10):1411–1419",
        2008,
        pmid="18774375",
        doi="10.1016/j.humpath.2008.06.025",
        label="Modified NIH criteria",
        backs=("S10", "S11", "S37"),
    ),
    _r(
        "JOENSUU2012",
        "Joensuu H, Vehtari A, Riihimäki J, et al.",
        "Risk of recurrence of gastrointestinal stromal tumour after surgery: an analysis of "
        "pooled population-based cohorts",
        "Lancet Oncol 2012;13(3):265–274",
        2012,
        doi="10.1016/S1470-2045(11)70299-6",  # PMID is Repo-only: not carried
    ),
    _r(
        "MIETTINEN2006",
        "Miettinen M, Lasota J.",
        "Gastrointestinal stromal tumors: pathology and prognosis at different sites",
        "Semin Diagn Pathol 2006;23(2):70–83",
        2006,
        pmid="17193820",
        label="AFIP risk table",
        backs=("S7", "S8", "S9"),
    ),
    _r(
        "HOHENBERGER2010",
        "Hohenberger P, Ronellenfitsch U, Oladeji O, et al.",
        "Pattern of recurrence in patients with ruptured primary gastrointestinal stromal tumour",
        "Br J Surg 2010;97(12):1854–1859",
        2010,
        pmid="20730857",
        backs=("S23b",),
    ),
    _r(
        "HOLMEBAKK2016",
        "Hølmebakk T, Bjerkehagen B, Boye K, et al.",
        "Definition and clinical significance of tumour rupture in gastrointestinal stromal "
        "tumours of the small intestine",
        "Br J Surg 2016;103(6):684–691",
        2016,
        pmid="26988241",
    ),
    _r(
        "MIETTINEN2011-SDH",
        "Miettinen M, Wang ZF, Sarlomo-Rikala M, et al.",
        "Succinate dehydrogenase-deficient GISTs: 66 gastric GISTs with predilection to young age",
        "Am J Surg Pathol 2011;35(11):1712–1721",
        2011,
        pmid="21997692",
    ),
    # 1b. Adjuvant therapy
    _r(
        "SSGXVIII-2012",
        "Joensuu H, Eriksson M, Sundby Hall K, et al.",
        "One vs three years of adjuvant imatinib for operable gastrointestinal stromal tumor: "
        "a randomized trial",
        "JAMA 2012;307(12):1265–1272",
        2012,
        pmid="22453568",  # DOI is Repo-only: not carried
        label="SSG XVIII",
    ),
    _r(
        "SSGXVIII-2016",
        "Joensuu H, Eriksson M, Sundby Hall K, et al.",
        "Adjuvant imatinib for high-risk GI stromal tumor: analysis of a randomized trial",
        "J Clin Oncol 2016;34(3):244–250",
        2016,
        pmid="26527782",
        label="SSG XVIII update",
    ),
    _r(
        "SSGXVIII-MUT2017",
        "Joensuu H, Wardelmann E, Sihto H, et al.",
        "Effect of KIT and PDGFRA mutations on survival in patients with GIST treated with "
        "adjuvant imatinib: an exploratory analysis of a randomized clinical trial",
        "JAMA Oncol 2017;3(5):602–609",
        2017,
        pmid="28334365",
        label="SSG XVIII mutation analysis",
    ),
    _r(
        "ACOSOG-Z9001",
        "DeMatteo RP, Ballman KV, Antonescu CR, et al.",
        "Adjuvant imatinib mesylate after resection of localised, primary gastrointestinal "
        "stromal tumour: a randomised, double-blind, placebo-controlled trial",
        "Lancet 2009;373(9669):1097–1104",
        2009,
        pmid="19303137",
        label="ACOSOG Z9001",
    ),
    _r(
        "EORTC62024-2015",
        "Casali PG, Le Cesne A, Poveda Velasco A, et al.",
        "Time to definitive failure to the first tyrosine kinase inhibitor in localized GI "
        "stromal tumors treated with imatinib as an adjuvant",
        "J Clin Oncol 2015;33(36):4276–4283",
        2015,
        pmid="26573069",
        label="EORTC 62024 interim",
    ),
    _r(
        "EORTC62024-2021",
        "Casali PG, Le Cesne A, Velasco AP, et al.",
        "Final analysis of the randomized trial on imatinib as an adjuvant in localized GIST",
        "Ann Oncol 2021;32(4):533–541",
        2021,
        pmid="33482247",
        doi="10.1016/j.annonc.2021.01.004",
        label="EORTC 62024 final",
    ),
    _r(
        "PERSIST5",
        "Raut CP, Espat NJ, Maki RG, et al.",
        "Efficacy and tolerability of 5-year adjuvant imatinib treatment for patients with "
        "resected intermediate- or high-risk primary GIST: the PERSIST-5 clinical trial",
        "JAMA Oncol 2018;4(12):e184060",
        2018,
        pmid="30383140",
        label="PERSIST-5",
    ),
    # 1c. Neoadjuvant therapy
    _r(
        "RTOG0132-2009",
        "Eisenberg BL, Harris J, Blanke CD, et al.",
        "Phase II trial of neoadjuvant/adjuvant imatinib mesylate for advanced primary and "
        "metastatic/recurrent operable GIST: early results of RTOG 0132/ACRIN 6665",
        "J Surg Oncol 2009;99(1):42–47",
        2009,
        pmid="18942073",
        label="RTOG 0132",
    ),
    _r(
        "KUROKAWA2017",
        "Kurokawa Y, Yang HK, Cho H, et al.",
        "Phase II study of neoadjuvant imatinib in large gastrointestinal stromal tumours of the "
        "stomach",
        "Br J Cancer 2017;117(1):25–32",
        2017,
        pmid="28535156",
    ),
    _r(
        "RUTKOWSKI2013",
        "Rutkowski P, Gronchi A, Hohenberger P, et al.",
        "Neoadjuvant imatinib in locally advanced gastrointestinal stromal tumors (GIST): the "
        "EORTC STBSG experience",
        "Ann Surg Oncol 2013;20(9):2937–2943",
        2013,
        pmid="23760587",
    ),
    _r(
        "CAVNAR2017",
        "Cavnar MJ, Wang L, Balachandran VP, et al.",
        "Rectal GIST in the era of imatinib: organ preservation and improved oncologic outcome",
        "Ann Surg Oncol 2017;24(13):3972–3980",
        2017,
        pmid="29058144",
    ),
    # 1d. Advanced disease: systemic therapy
    _r(
        "B2222",
        "Demetri GD, von Mehren M, Blanke CD, et al.",
        "Efficacy and safety of imatinib mesylate in advanced gastrointestinal stromal tumors",
        "N Engl J Med 2002;347(7):472–480",
        2002,
        pmid="12181401",
        label="B2222",
    ),
    _r(
        "S0033",
        "Blanke CD, Rankin C, Demetri GD, et al.",
        "Phase III randomized, intergroup trial assessing imatinib mesylate at two dose levels in "
        "patients with unresectable or metastatic GIST: S0033",
        "J Clin Oncol 2008;26(4):626–632",
        2008,
        pmid="18235122",
        label="S0033",
    ),
    _r(
        "EORTC62005",
        "Verweij J, Casali PG, Zalcberg J, et al.",
        "Progression-free survival in gastrointestinal stromal tumours with high-dose imatinib: "
        "randomised trial",
        "Lancet 2004;364(9440):1127–1134",
        2004,
        pmid="15451219",
        label="EORTC 62005",
    ),
    _r(
        "ZALCBERG2005",
        "Zalcberg JR, Verweij J, Casali PG, et al.",
        "Outcome of patients with advanced GIST crossing over to a daily imatinib dose of 800 mg "
        "after progression on 400 mg",
        "Eur J Cancer 2005;41(12):1751–1757",
        2005,
        pmid="16098458",
    ),
    _r(
        "METAGIST2010",
        "MetaGIST group.",
        "Comparison of two doses of imatinib for the treatment of unresectable or metastatic "
        "GIST: a meta-analysis of 1,640 patients",
        "J Clin Oncol 2010;28(7):1247–1253",
        2010,
        pmid="20124181",
        label="MetaGIST",
        backs=("S25",),
    ),
    _r(
        "DEBIEC2006",
        "Debiec-Rychter M, Sciot R, Le Cesne A, et al.",
        "KIT mutations and dose selection for imatinib in patients with advanced gastrointestinal "
        "stromal tumours",
        "Eur J Cancer 2006;42(8):1093–1103",
        2006,
        pmid="16624552",
    ),
    _r(
        "HEINRICH2003",
        "Heinrich MC, Corless CL, Demetri GD, et al.",
        "Kinase mutations and imatinib response in patients with metastatic GIST",
        "J Clin Oncol 2003;21(23):4342–4349",
        2003,
        pmid="14645423",
    ),
    _r(
        "SUNITINIB2006",
        "Demetri GD, van Oosterom AT, Garrett CR, et al.",
        "Efficacy and safety of sunitinib in patients with advanced gastrointestinal stromal "
        "tumour after failure of imatinib: a randomised controlled trial",
        "Lancet 2006;368(9544):1329–1338",
        2006,
        pmid="17046465",
        doi="10.1016/S0140-6736(06)69446-4",
        label="Sunitinib phase III",
    ),
    _r(
        "GRID2013",
        "Demetri GD, Reichardt P, Kang YK, et al.",
        "Efficacy and safety of regorafenib for advanced gastrointestinal stromal tumours after "
        "failure of imatinib and sunitinib (GRID)",
        "Lancet 2013;381(9863):295–302",
        2013,
        pmid="23177515",
        doi="10.1016/S0140-6736(12)61857-1",
        label="GRID",
    ),
    _r(
        "INVICTUS2020",
        "Blay JY, Serrano C, Heinrich MC, et al.",
        "Ripretinib in patients with advanced gastrointestinal stromal tumours (INVICTUS)",
        "Lancet Oncol 2020;21(7):923–934",
        2020,
        pmid="32511981",
        doi="10.1016/S1470-2045(20)30168-6",
        label="INVICTUS",
        backs=("S24",),
    ),
    _r(
        "INTRIGUE2022",
        "Bauer S, Jones RL, Blay JY, et al.",
        "Ripretinib versus sunitinib in patients with advanced GIST after treatment with imatinib "
        "(INTRIGUE)",
        "J Clin Oncol 2022;40(34):3918–3928",
        2022,
        pmid="35947817",
        label="INTRIGUE",
    ),
    _r(
        "NAVIGATOR2020",
        "Heinrich MC, Jones RL, von Mehren M, et al.",
        "Avapritinib in advanced PDGFRA D842V-mutant gastrointestinal stromal tumour (NAVIGATOR)",
        "Lancet Oncol 2020;21(7):935–946",
        2020,
        pmid="32615108",
        label="NAVIGATOR",
    ),
    _r(
        "VOYAGER2021",
        "Kang YK, George S, Jones RL, et al.",
        "Avapritinib versus regorafenib in locally advanced unresectable or metastatic GI stromal "
        "tumor (VOYAGER)",
        "J Clin Oncol 2021;39(28):3128–3139",
        2021,
        pmid="34343033",
        label="VOYAGER",
    ),
    _r(
        "PAZOGIST2016",
        "Mir O, Cropet C, Toulmonde M, et al.",
        "Pazopanib plus best supportive care versus best supportive care alone in advanced GIST "
        "resistant to imatinib and sunitinib (PAZOGIST)",
        "Lancet Oncol 2016;17(5):632–641",
        2016,
        pmid="27068858",
        label="PAZOGIST",
        backs=("S24b",),
    ),
    _r(
        "NILOTINIB2012",
        "Reichardt P, Blay JY, Gelderblom H, et al.",
        "Phase III study of nilotinib versus best supportive care with or without a TKI in "
        "patients with GIST resistant to or intolerant of imatinib and sunitinib",
        "Ann Oncol 2012;23(7):1680–1687",
        2012,
        pmid="22357255",
        backs=("S23",),
    ),
    _r(
        "SORAFENIB2011",
        "Campbell NP, Wroblewski K, Maki RG, et al.",
        "Final results of a University of Chicago phase II consortium trial of sorafenib in "
        "patients with imatinib- and sunitinib-resistant GIST [abstract]",
        "J Clin Oncol 2011;29(4 suppl):A-4",
        2011,
    ),
    _r(
        "ATIQ2021",
        "Atiq MA, Davis JL, Hornick JL, et al.",
        "Mesenchymal tumors of the gastrointestinal tract with NTRK rearrangements: distinction "
        "from GIST",
        "Mod Pathol 2021;34(1):95–103",
        2021,
        pmid="32669612",
        backs=("S6c",),
    ),
    _r(
        "AGARAM2008",
        "Agaram NP, Wong GC, Guo T, et al.",
        "Novel V600E BRAF mutations in imatinib-naive and imatinib-resistant GIST",
        "Genes Chromosomes Cancer 2008;47(10):853–859",
        2008,
        pmid="18615679",
    ),
    # 1e. Surgery for advanced disease
    _r(
        "DEMATTEO2007",
        "DeMatteo RP, Maki RG, Singer S, et al.",
        "Results of tyrosine kinase inhibitor therapy followed by surgical resection for "
        "metastatic gastrointestinal stromal tumor",
        "Ann Surg 2007;245(3):347–352",
        2007,  # PMID/DOI UNVERIFIED: cited by author, journal and year
        label="MSKCC series",
        backs=("S3",),
    ),
    _r(
        "RAUT2006",
        "Raut CP, Posner M, Desai J, et al.",
        "Surgical management of advanced gastrointestinal stromal tumors after treatment with "
        "targeted systemic therapy using kinase inhibitors",
        "J Clin Oncol 2006;24(15):2325–2331",
        2006,
        pmid="16710031",
        label="Dana-Farber series",
    ),
    _r(
        "BONVALOT2006",
        "Bonvalot S, Eldweny H, Péchoux CL, et al.",
        "Impact of surgery on advanced gastrointestinal stromal tumors (GIST) in the imatinib era",
        "Ann Surg Oncol 2006;13(12):1596–1603",
        2006,
        pmid="16957966",
        backs=("S2",),
    ),
    _r(
        "ANDTBACKA2007",
        "Andtbacka RH, Ng CS, Scaife CL, et al.",
        "Surgical resection of gastrointestinal stromal tumors after treatment with imatinib",
        "Ann Surg Oncol 2007;14(1):14–24",
        2007,
        pmid="17072676",
    ),
    _r(
        "NCCN-TF2007",
        "Demetri GD, Benjamin RS, Blanke CD, et al.",
        "NCCN Task Force report: management of patients with GIST — update of the NCCN clinical "
        "practice guidelines",
        "J Natl Compr Canc Netw 2007;5(Suppl 2):S1–S29",
        2007,
        pmid="17624289",
        label="NCCN Task Force",
    ),
    _r(
        "WELDON2017",
        "Weldon CB, Madenci AL, Boikos SA, et al.",
        "Surgical management of wild-type GIST: a report from the NIH Pediatric and Wildtype GIST "
        "Clinic",
        "J Clin Oncol 2017;35(5):523–528",
        2017,
        pmid="28029307",
    ),
    # 1f. Liver metastases
    _r(
        "NCT06038552",
        "First Affiliated Hospital, Sun Yat-sen University.",
        "Liver resection, RFA, TACE and drug therapy in GIST liver metastases (observational)",
        "ClinicalTrials.gov NCT06038552",
        None,
        url="https://clinicaltrials.gov/study/NCT06038552",
        label="Sun Yat-sen cohort",
        backs=("S4",),
    ),
    _r(
        "YANG2020",
        "Yang DP, Zhuang BW, Wang YZ, et al.",
        "Thermal ablation versus hepatic resection for the treatment of liver metastases from "
        "gastrointestinal stromal tumors: a retrospective study",
        "Int J Hyperthermia 2020;37(1):592–599",
        2020,
        pmid="32484012",
        doi="10.1080/02656736.2020.1772513",
        backs=("S26",),
    ),
    _r(
        "KANDA2017",
        "Kanda T, Masuzawa T, Hirai T, et al.",
        "Surgery and imatinib therapy for liver oligometastasis of GIST: a study of Japanese "
        "Study Group on GIST",
        "Jpn J Clin Oncol 2017;47(4):369–372",
        2017,
        pmid="28073945",
    ),
    # 1g. Response criteria
    _r(
        "CHOI2007",
        "Choi H, Charnsangavej C, Faria SC, et al.",
        "Correlation of computed tomography and positron emission tomography in patients with "
        "metastatic GIST treated with imatinib: proposal of new computed tomography response "
        "criteria",
        "J Clin Oncol 2007;25(13):1753–1759",
        2007,
        pmid="17470865",
        label="Choi criteria",
        backs=("S16", "S16d"),
    ),
    # 1h. Guidelines
    _r(
        "ESMO2022",
        "Casali PG, Blay JY, Abecassis N, et al.",
        "Gastrointestinal stromal tumours: ESMO–EURACAN–GENTURIS Clinical Practice Guidelines for "
        "diagnosis, treatment and follow-up",
        "Ann Oncol 2022;33(1):20–33",
        2022,
        pmid="34560242",
        label="ESMO 2022",
        backs=("S20",),
    ),
    _r(
        "PDQ-GIST",
        "PDQ Editorial Board.",
        "Gastrointestinal Stromal Tumors Treatment – Health Professional Version",
        "NCI",
        2024,
        pmid="26389157",
        url="https://www.cancer.gov/types/soft-tissue-sarcoma/hp/gist-treatment-pdq",
        label="NCI PDQ",
        backs=("S6",),
    ),
    _r(
        "ESGE2022",
        "Deprez PH, Moons LMG, O'Toole D, et al.",
        "Endoscopic management of subepithelial lesions including neuroendocrine neoplasms: ESGE "
        "Guideline",
        "Endoscopy 2022;54(4):412–429",
        2022,
        doi="10.1055/a-1751-5742",
        label="ESGE 2022",
        backs=("S21",),
    ),
    _r(
        "ACG2023",
        "Jacobson BC, Bhatt A, Greer KB, et al.",
        "ACG Clinical Guideline: Diagnosis and Management of Gastrointestinal Subepithelial "
        "Lesions",
        "Am J Gastroenterol 2023;118(1):46–58",
        2023,
        pmid="36602835",
        doi="10.14309/ajg.0000000000002100",
        label="ACG 2023",
        backs=("S13b",),
    ),
    _r(
        "BOIKOS2016",
        "Boikos SA, Pappo AS, Killian JK, et al.",
        "Molecular subtypes of KIT/PDGFRA wild-type gastrointestinal stromal tumors",
        "JAMA Oncol 2016;2(7):922–928",
        2016,
        pmid="27011036",
    ),
    _r(
        "JANEWAY2011",
        "Janeway KA, Kim SY, Lodish M, et al.",
        "Defects in succinate dehydrogenase in GISTs lacking KIT and PDGFRA mutations",
        "Proc Natl Acad Sci U S A 2011;108(1):314–318",
        2011,
        pmid="21173220",
    ),
)

#: Every primary reference, by key.
PRIMARY_REFERENCES: Mapping[str, PrimaryReference] = MappingProxyType({r.key: r for r in _ALL})

#: The primary references each rule cites on its cards (knowledge-base rule id → keys), most
#: specific first. Rules not listed (e.g. newer ones) cite the references backing their [Sx].
RULE_REFERENCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "B1": ("ACG2023", "ESGE2022"),
        "B2": ("ACG2023",),
        "B3": ("ESGE2022", "ACG2023"),
        "B4": ("ACG2023", "ESGE2022"),
        "B5": ("ESMO2022", "PDQ-GIST"),
        "B6": ("ESMO2022", "ACG2023"),
        "B7": ("ACG2023", "ESMO2022"),
        "C1": ("ESMO2022", "PDQ-GIST"),
        "C2": ("ESMO2022", "MIETTINEN2011-SDH", "WELDON2017"),
        "C3": ("ESMO2022",),
        "C4": ("ESMO2022", "PDQ-GIST"),
        "C5": ("HOHENBERGER2010", "HOLMEBAKK2016", "ESMO2022"),
        "D1": ("RUTKOWSKI2013", "ESMO2022", "CAVNAR2017"),
        "D2": ("ESMO2022", "HEINRICH2003"),
        "D3": ("RUTKOWSKI2013", "KUROKAWA2017", "RTOG0132-2009"),
        "D4": ("METAGIST2010", "DEBIEC2006"),
        "D5": ("ESMO2022", "NAVIGATOR2020"),
        "D6": ("BOIKOS2016", "WELDON2017"),
        "D7": ("ESMO2022",),
        "D8": ("RUTKOWSKI2013", "CHOI2007"),
        "D9": ("KUROKAWA2017", "RUTKOWSKI2013"),
        "D10": ("SSGXVIII-2012", "RUTKOWSKI2013"),
        "D11": ("RUTKOWSKI2013", "ESMO2022"),
        "D12": ("RUTKOWSKI2013", "ESMO2022"),
        "D13": ("RUTKOWSKI2013", "KUROKAWA2017", "ESMO2022"),
        "D14": ("KUROKAWA2017", "RUTKOWSKI2013", "BONVALOT2006"),
        "E3": ("JOENSUU2008", "MIETTINEN2006"),
        "F1": ("SSGXVIII-2012", "SSGXVIII-MUT2017", "JOENSUU2008"),
        "F2": ("SSGXVIII-2012", "METAGIST2010", "DEBIEC2006"),
        "F3": ("SSGXVIII-MUT2017", "BOIKOS2016", "ESMO2022"),
        "F4": ("ESMO2022", "HEINRICH2003"),
        "F5": ("HOHENBERGER2010", "JOENSUU2008", "SSGXVIII-2012"),
        "F6": ("EORTC62024-2015", "EORTC62024-2021", "JOENSUU2008"),
        "F7": ("JOENSUU2008", "ESMO2022"),
        "F8": ("SSGXVIII-2012", "PERSIST5"),
        "F9": ("ACOSOG-Z9001",),
        "F10": ("SSGXVIII-2012", "ESMO2022"),
        "F11": ("BOIKOS2016", "JANEWAY2011", "ESMO2022"),
        "G1": ("B2222", "S0033", "EORTC62005"),
        "G2": ("METAGIST2010", "DEBIEC2006", "EORTC62005"),
        "G3": ("NAVIGATOR2020",),
        "G4": ("ATIQ2021", "ESMO2022"),
        "G5": ("AGARAM2008", "ESMO2022"),
        "G6": ("BOIKOS2016", "ESMO2022"),
        "G7": ("ZALCBERG2005", "SUNITINIB2006", "S0033"),
        "G8": ("SUNITINIB2006",),
        "G9": ("SUNITINIB2006",),
        "G10": ("GRID2013",),
        "G11": ("INVICTUS2020", "INTRIGUE2022"),
        "G12": ("PAZOGIST2016", "NILOTINIB2012", "SORAFENIB2011"),
        "G13": ("VOYAGER2021",),
        "G14": ("NAVIGATOR2020", "ESMO2022"),
        "G15": ("ESMO2022", "BOIKOS2016"),
        "G16": ("ESMO2022", "B2222"),
        "G17": ("ESMO2022",),
        "G18": ("ZALCBERG2005", "SUNITINIB2006"),
        "G19": ("BOIKOS2016", "ESMO2022"),
        "H1": ("DEMATTEO2007", "RAUT2006", "ANDTBACKA2007"),
        "H2": ("DEMATTEO2007", "RAUT2006"),
        "H3": ("DEMATTEO2007", "RAUT2006"),
        "H4": ("ESMO2022", "PDQ-GIST"),
        "H5": ("BONVALOT2006", "ANDTBACKA2007"),
        "H6": ("RAUT2006", "BONVALOT2006"),
        "H7": ("NCCN-TF2007",),
        "I1": ("ESMO2022", "PDQ-GIST"),
        "I2": ("ESMO2022", "PDQ-GIST"),
        "I3": ("ESMO2022", "PDQ-GIST"),
        "I4": ("HOHENBERGER2010", "PDQ-GIST"),
        "I5": ("PDQ-GIST",),
        "I6": ("ESMO2022",),
        "I7": ("PDQ-GIST",),
        "I8": ("ESMO2022",),
        "J1": ("KANDA2017", "NCT06038552", "ESMO2022"),
        "J2": ("YANG2020", "NCT06038552"),
        "J3": ("NCT06038552",),
        "J4": ("YANG2020",),
        "J5": ("ESMO2022",),
        "K1": ("ESMO2022",),
        "K2": ("BOIKOS2016", "ESMO2022"),
        "P5": ("PDQ-GIST", "ESMO2022"),
        "P6": ("PDQ-GIST", "ESMO2022"),
    }
)

#: Trial names as evidence lines begin with them → the papers the numbers come from.
TRIAL_REFERENCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "SSG XVIII, KIT exon 11": ("SSGXVIII-MUT2017",),
        "SSG XVIII": ("SSGXVIII-2012",),
        "EORTC 62024": ("EORTC62024-2015", "EORTC62024-2021"),
        "ACOSOG Z9001": ("ACOSOG-Z9001",),
        "PERSIST-5": ("PERSIST5",),
        "NAVIGATOR": ("NAVIGATOR2020",),
        "Sunitinib phase III": ("SUNITINIB2006",),
        "GRID": ("GRID2013",),
        "INVICTUS": ("INVICTUS2020",),
        "INTRIGUE": ("INTRIGUE2022",),
        "VOYAGER": ("VOYAGER2021",),
        "PAZOGIST": ("PAZOGIST2016",),
        "Nilotinib phase III": ("NILOTINIB2012",),
        "Sorafenib phase II": ("SORAFENIB2011",),
        "MSKCC": ("DEMATTEO2007",),
        "Raut 2006": ("RAUT2006",),
        "Imatinib 400 → 800 mg": ("ZALCBERG2005",),
        "Asian phase II": ("KUROKAWA2017",),
    }
)

#: Secondary web pages and third-party summaries: listed on rule pages under "also consulted",
#: never cited on a card (knowledge-base §1.K, text on cards; primary-references.md §2).
SECONDARY_SOURCES: frozenset[str] = frozenset(
    {
        "S6c", "S7", "S8", "S9", "S9b", "S10", "S11", "S13a", "S13b", "S16", "S16d", "S17",
        "S18", "S19", "S19b", "S23", "S23b", "S24", "S24b", "S25",
    }
)  # fmt: skip


def references_for(rule_id: str, sources: tuple[str, ...] = ()) -> tuple[PrimaryReference, ...]:
    """The primary references a card of `rule_id` cites: the rule's own list, else the
    references backing its `[Sx]` sources (PDQ for S6), most specific first."""
    keys = RULE_REFERENCES.get(rule_id)
    if keys is None:
        keys = tuple(r.key for sid in sources for r in _ALL if sid in r.backs)
    return tuple(PRIMARY_REFERENCES[k] for k in dict.fromkeys(keys))


def references_for_numbers(numbers: tuple[str, ...]) -> tuple[PrimaryReference, ...]:
    """The papers behind the evidence lines shown (matched by the trial name they start with)."""
    keys: list[str] = []
    for number in numbers:
        for prefix, refs in TRIAL_REFERENCES.items():
            if number.startswith(prefix):
                keys += refs
                break
    return tuple(PRIMARY_REFERENCES[k] for k in dict.fromkeys(keys))

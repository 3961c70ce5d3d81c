"""The primary publications the order checks cite (keys of shared/knowledge/primary-references.md),
as `Citation`s so cards can name author, journal and year with a PubMed link."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from logic.knowledge.citations import Citation


def _pubmed(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


_ALL = (
    Citation(
        "NAVIGATOR2020",
        "Heinrich MC et al. Avapritinib in advanced PDGFRA D842V-mutant GIST (NAVIGATOR). "
        "Lancet Oncol 2020;21(7):935-946",
        2020,
        _pubmed("32615108"),
        None,
    ),
    Citation(
        "VOYAGER2021",
        "Kang YK et al. Avapritinib versus regorafenib in advanced GIST (VOYAGER). "
        "J Clin Oncol 2021;39(28):3128-3139",
        2021,
        _pubmed("34343033"),
        None,
    ),
    Citation(
        "METAGIST2010",
        "MetaGIST. Comparison of two doses of imatinib in unresectable or metastatic GIST: a "
        "meta-analysis of 1,640 patients. J Clin Oncol 2010;28(7):1247-1253",
        2010,
        _pubmed("20124181"),
        None,
    ),
    Citation(
        "DEBIEC2006",
        "Debiec-Rychter M et al. KIT mutations and dose selection for imatinib in advanced GIST. "
        "Eur J Cancer 2006;42(8):1093-1103",
        2006,
        _pubmed("16624552"),
        None,
    ),
    Citation(
        "SUNITINIB2006",
        "Demetri GD et al. Sunitinib in advanced GIST after failure of imatinib: a randomised "
        "controlled trial. Lancet 2006;368(9544):1329-1338",
        2006,
        _pubmed("17046465"),
        None,
    ),
    Citation(
        "GRID2013",
        "Demetri GD et al. Regorafenib for advanced GIST after failure of imatinib and sunitinib "
        "(GRID). Lancet 2013;381(9863):295-302",
        2013,
        _pubmed("23177515"),
        None,
    ),
    Citation(
        "INVICTUS2020",
        "Blay JY et al. Ripretinib in advanced GIST (INVICTUS). Lancet Oncol 2020;21(7):923-934",
        2020,
        _pubmed("32511981"),
        None,
    ),
    Citation(
        "JOENSUU2008",
        "Joensuu H. Risk stratification of patients diagnosed with GIST. "
        "Hum Pathol 2008;39(10):1411-1419",
        2008,
        _pubmed("18774375"),
        None,
    ),
)

PRIMARY_REFERENCES: Mapping[str, Citation] = MappingProxyType({c.id: c for c in _ALL})

"""Which Procedure codes are a resection of a GI tumour, and which are never one (biopsy,
endoscopy, port placement): the value sets of the input profile's "Resection" rule.

Each entry names the organ it removes (so a resection can be tied to the GIST by site) and where
the code was checked. Codes nobody could verify are not listed: an unlisted surgical procedure
still counts when the EHR links it to the GIST (reasonReference, category surgical procedure).
"""

from __future__ import annotations

import re
from typing import Final

from logic.case import Site

_CPT_SRC = "AMA CPT descriptors, corroborated by public utilisation-review tables"

#: CPT resection codes -> organ. [_CPT_SRC]
CPT_RESECTIONS: Final[dict[str, Site]] = {
    "43610": Site.STOMACH,  # excision, local; ulcer or benign tumour of stomach
    "43611": Site.STOMACH,  # excision, local; malignant tumour of stomach
    "43620": Site.STOMACH,  # gastrectomy, total; with oesophagoenterostomy
    "43621": Site.STOMACH,  # gastrectomy, total; with Roux-en-Y reconstruction
    "43622": Site.STOMACH,  # gastrectomy, total; with intestinal pouch
    "43631": Site.STOMACH,  # gastrectomy, partial, distal; with gastroduodenostomy
    "43632": Site.STOMACH,  # gastrectomy, partial, distal; with gastrojejunostomy
    "43633": Site.STOMACH,  # gastrectomy, partial, distal; with Roux-en-Y reconstruction
    "43634": Site.STOMACH,  # gastrectomy, partial, distal; with intestinal pouch
    "44120": Site.SMALL_INTESTINE,  # enterectomy, single resection and anastomosis
    "44121": Site.SMALL_INTESTINE,  # enterectomy, each additional resection
    "44202": Site.SMALL_INTESTINE,  # laparoscopic enterectomy, single resection
    "48150": Site.DUODENUM,  # pancreatoduodenectomy (Whipple)
    "44140": Site.COLON,  # colectomy, partial; with anastomosis
    "44160": Site.COLON,  # colectomy, partial, with removal of terminal ileum
    "44204": Site.COLON,  # laparoscopic colectomy, partial, with anastomosis
    "45110": Site.RECTUM,  # proctectomy; complete, combined abdominoperineal
    "45160": Site.RECTUM,  # excision of rectal tumour by proctotomy
}

#: CPT codes that are never a resection: endoscopy, EUS, biopsy, venous port. [_CPT_SRC]
CPT_NOT_RESECTION: Final = frozenset(
    {
        "43235",  # EGD, diagnostic
        "43238",  # EGD with EUS-guided fine-needle aspiration/biopsy
        "43239",  # EGD with biopsy
        "43242",  # EGD with transendoscopic ultrasound-guided FNA/biopsy
        "43259",  # EGD with endoscopic ultrasound examination
        "45378",  # colonoscopy, diagnostic
        "45380",  # colonoscopy with biopsy
        "49180",  # biopsy, abdominal or retroperitoneal mass, percutaneous
        "36561",  # insertion of tunnelled central venous access device with subcutaneous port
        "36571",  # insertion of peripherally inserted central venous device with port
    }
)

#: SNOMED CT: excision of neoplasm is a resection; biopsy never is (mCODE-family IG value set
#: notes). Named resections (gastrectomy ...) are not listed: their concept ids were not verified.
SNOMED_RESECTIONS: Final = frozenset({"370612006"})
SNOMED_NOT_RESECTION: Final = frozenset({"86273004"})

#: ICD-10-PCS is built by position: 0 D = medical-surgical / GI system, then the root operation
#: (T resection, B excision), the body part, approach, device, qualifier. Qualifier X means
#: "diagnostic": an excision for diagnosis is a biopsy, never a resection (ICD-10-PCS guidelines).
PCS_GI_BODY_PARTS: Final[dict[str, Site]] = {
    "5": Site.OESOPHAGUS,
    "6": Site.STOMACH,
    "8": Site.SMALL_INTESTINE,
    "9": Site.DUODENUM,
    "A": Site.JEJUNUM,
    "B": Site.ILEUM,
    "E": Site.COLON,
    "P": Site.RECTUM,
}
_PCS = re.compile(r"^0D([TB])([0-9A-Z])([0-9A-Z])([0-9A-Z])([0-9A-Z])$")


def pcs_resection(code: str) -> Site | None:
    """The organ an ICD-10-PCS GI resection/excision (not diagnostic) removes, else None."""
    m = _PCS.match(code.strip().upper())
    if m is None or m.group(5) == "X":
        return None
    return PCS_GI_BODY_PARTS.get(m.group(2))


def pcs_is_biopsy(code: str) -> bool:
    m = _PCS.match(code.strip().upper())
    return m is not None and m.group(1) == "B" and m.group(5) == "X"


#: Words that say a Procedure removed tissue: an "endoscopic full-thickness resection" is one.
RESECTION_WORDS: Final = re.compile(
    r"(resect|excision|ectomy\b|enucleat|submucosal dissection)", re.IGNORECASE
)
#: Words in a Procedure's text or display that mean it removed no tumour (unless it also says
#: it resected: RESECTION_WORDS).
NOT_RESECTION_WORDS: Final = re.compile(
    r"\b(biops\w*|fna|fine[- ]needle|endoscop\w*|eus|ultrasound|gastroscop\w*|colonoscop\w*|"
    r"egd|port|port-a-cath|portacath|catheter|central line)\b",
    re.IGNORECASE,
)

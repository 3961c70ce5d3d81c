"""Version of the encoded knowledge base, shown on every card and rule page.

Bump KNOWLEDGE_VERSION whenever a rule, table, regimen or citation changes: cards carry it so a
recommendation can always be traced to the exact knowledge it came from.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

#: Calendar-based semantic version of the encoded knowledge (year.edition.patch).
KNOWLEDGE_VERSION: Final = "2026.2.0"

#: Date this knowledge version was released.
KNOWLEDGE_RELEASE_DATE: Final = dt.date(2026, 12, 3)

#: Who developed the intervention (a source attribute shown on rule pages).
INTERVENTION_DEVELOPER: Final = "gist-cds contributors"

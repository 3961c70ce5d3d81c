"""Order checks: a drafted TKI order compared with the patient's GIST case (order-select and
order-sign hooks). Pure logic, like the rules: a `DraftTki` and a `GistCase` in, findings out.
Each check is one `OrderCheck` record in a section module; `CHECKS` is their order."""

from logic.orders.checks import CHECKS, check_drafts
from logic.orders.draft import DraftTki, OrderFinding, SuggestedChange
from logic.orders.rule import OrderCheck

__all__ = ["CHECKS", "DraftTki", "OrderCheck", "OrderFinding", "SuggestedChange", "check_drafts"]

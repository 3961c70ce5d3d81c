"""Order checks: a drafted TKI order compared with the patient's GIST case (order-select and
order-sign hooks). Pure logic, like the rules: a `DraftTki` and a `GistCase` in, findings out."""

from logic.orders.checks import CHECKS, OrderCheck, check_drafts
from logic.orders.draft import DraftTki, OrderFinding, SuggestedChange

__all__ = ["CHECKS", "DraftTki", "OrderCheck", "OrderFinding", "SuggestedChange", "check_drafts"]

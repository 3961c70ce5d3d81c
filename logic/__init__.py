"""GIST guideline logic: a GistCase in, Recommendations out (no Flask, no FHIR).

The public API; everything else is the inside of the package.
"""

from logic.case import GistCase
from logic.engine import evaluate
from logic.knowledge.version import KNOWLEDGE_VERSION
from logic.recommendation import Recommendation
from logic.registry import RULES

__all__ = ["KNOWLEDGE_VERSION", "RULES", "GistCase", "Recommendation", "evaluate"]

"""`GET /`: a plain HTML page saying what this service is and where to go next (discovery, rule
index, health and readiness, the API document), so a browser pointed at the service is not met
by a JSON 404."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from cds_hooks import hooks
from cds_hooks.preflight import version_line
from cds_hooks.rule_pages import INTENDED_USE
from logic.knowledge import version
from logic.registry import ORDER_RULES, RULES

bp = Blueprint("landing", __name__, template_folder="templates")


@bp.get("/")
def landing() -> str:
    runtime = current_app.extensions["gist_cds"]
    settings = runtime.settings
    return render_template(
        "landing.html",
        intended_use=INTENDED_USE,
        auth=runtime.verifier is not None,
        discovery_url=settings.endpoint_url("cds-services"),
        services=list(hooks.services()),
        service_url=lambda service_id: settings.endpoint_url(f"cds-services/{service_id}"),
        rule_count=len(RULES),
        order_check_count=len(ORDER_RULES),
        version=version_line(),
        knowledge_version=version.KNOWLEDGE_VERSION,
        release_date=version.KNOWLEDGE_RELEASE_DATE,
        developer=version.INTERVENTION_DEVELOPER,
    )

"""`gist-cds evaluate` answers order-select and order-sign requests like the HTTP services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_hooks.cli import main
from tests.scenarios.fhir_cases import _metastatic
from tests.scenarios.test_order_hooks import D842V, GLEEVEC_400, draft, order_request


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_evaluate_an_order_request(
    hook: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "order.json"
    path.write_text(
        json.dumps(order_request(hook, _metastatic(D842V), [draft("d1", GLEEVEC_400, 1)]))
    )
    assert main(["evaluate", str(path)]) == 0
    (card,) = json.loads(capsys.readouterr().out)["cards"]
    assert card["extension"]["org.gist-cds"]["ruleId"] == "G3"
    assert card["suggestions"][0]["actions"][0]["resource"]["id"] == "d1"


def test_evaluate_reports_an_unknown_selection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = order_request(
        "order-select",
        _metastatic(D842V),
        [draft("d1", GLEEVEC_400, 1)],
        selections=["MedicationRequest/x"],
    )
    path = tmp_path / "order.json"
    path.write_text(json.dumps(body))
    assert main(["evaluate", str(path)]) == 2
    assert "MedicationRequest/x" in capsys.readouterr().err

"""The floor: a Flask endpoint that parses the JSON body and answers one card, nothing else."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

app = Flask(__name__)
_CARD = {"summary": "ok", "indicator": "info", "source": {"label": "trivial"}}


@app.post("/cds-services/trivial")
def trivial() -> dict[str, Any]:
    request.get_json()
    return {"cards": [_CARD]}


@app.get("/healthz")
def healthz() -> dict[str, Any]:
    return {"status": "ok"}

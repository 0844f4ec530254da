"""The Grafana dashboard (``deploy/grafana/frontdesk.json``) charts only metrics that
Frontdesk defines: a renamed metric fails here, not as an empty panel in production."""

from __future__ import annotations

import json
import re

import pytest
from prometheus_client import REGISTRY

import agent.metrics  # noqa: F401 - defines the metrics
from agent.config import ROOT

pytestmark = pytest.mark.unit

DASHBOARD = ROOT / "deploy" / "grafana" / "frontdesk.json"
SUFFIXES = ("_bucket", "_total", "_count", "_sum")


def _defined() -> set[str]:
    names = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        names.update(sample.name for sample in metric.samples)
    return names


def test_every_frontdesk_metric_charted_is_defined() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    charted = {m for e in exprs for m in re.findall(r"\bfrontdesk_[a-z_]+", e)}
    defined = _defined()
    missing = {m for m in charted if m not in defined and m.removesuffix("_bucket") not in defined}
    missing = {m for m in missing if not any(m.removesuffix(s) in defined for s in SUFFIXES)}
    assert charted and missing == set()

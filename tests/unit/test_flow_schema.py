"""The committed JSON Schema of flow files matches the models, and shipped flows fit it."""

from __future__ import annotations

import json

import pytest
import yaml

from agent.config import ROOT
from agent.flow.model import flow_json_schema

pytestmark = pytest.mark.unit


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "flows" / "schema.json").read_text())
    assert committed == json.loads(json.dumps(flow_json_schema())), (
        "flows/schema.json is stale: run `uv run frontdesk flow schema -o flows/schema.json`"
    )


def test_schema_names_every_node_kind() -> None:
    text = json.dumps(flow_json_schema())
    for kind in ("say", "ask", "end"):
        assert f'"{kind}"' in text


def test_shipped_flows_are_mappings_with_the_required_keys() -> None:
    required = set(flow_json_schema().get("required", []))  # type: ignore[arg-type]
    assert {"version", "id", "start", "nodes"} <= required
    for path in (ROOT / "flows").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        assert required <= set(data), path

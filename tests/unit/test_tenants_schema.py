"""The committed JSON Schema of tenant files matches the models; shipped tenants fit it."""

from __future__ import annotations

import json

import pytest
import yaml

from agent.config import ROOT
from agent.tenants import known_tenants, load_tenant, tenant_json_schema

pytestmark = pytest.mark.unit


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "tenants" / "schema.json").read_text())
    assert committed == json.loads(json.dumps(tenant_json_schema())), (
        "tenants/schema.json is stale: run `uv run frontdesk tenant schema -o tenants/schema.json`"
    )


def test_schema_requires_name_and_flow_and_forbids_extras() -> None:
    schema = tenant_json_schema()
    assert set(schema["required"]) == {"name", "flow"}
    assert schema["additionalProperties"] is False
    assert "if" in json.dumps(schema["$defs"]["ScoreRule"])  # the alias, not if_


def test_every_shipped_tenant_loads_and_uses_only_schema_fields() -> None:
    ids = known_tenants(ROOT / "tenants")
    assert "crumb-and-co" in ids
    properties = set(tenant_json_schema()["properties"])
    for tenant_id in ids:
        tenant = load_tenant(ROOT / "tenants", tenant_id)
        assert set(yaml.safe_load(tenant.path.read_text())) <= properties

"""Which file a tenant's flow id names: the tenant's own, else the shared one.

A tenant may keep flows of its own in ``tenants/<id>/flows/<flow>.yaml`` (a copy of a
shipped flow it adapted, or a new one); ``flow: <flow>`` in its ``tenant.yaml`` (and
``flows:`` routes) then name that file. Any other flow id is the shared
``flows/<flow>.yaml``. So the order is: the tenant's folder first, then the shared
``flows/``. A tenant's flow may keep scenarios in ``tenants/<id>/flows/scenarios/``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import FlowLoadError
from ..flow.load import load_flow_by_id
from ..flow.model import Flow
from .load import Tenant

FLOWS = "flows"


def tenant_flows_dir(tenant: Tenant) -> Path:
    """``tenants/<id>/flows``: the tenant's own flows (the folder may not exist)."""
    return tenant.folder / FLOWS


def flow_path(tenant: Tenant, flows_dir: Path, flow_id: str) -> Path:
    """The file of ``flow_id`` for ``tenant``: its own, else the shared one."""
    own = tenant_flows_dir(tenant) / f"{flow_id}.yaml"
    return own if own.is_file() else flows_dir / f"{flow_id}.yaml"


def load_tenant_flow(tenant: Tenant, flows_dir: Path, flow_id: str) -> Flow:
    """Load ``flow_id`` as ``tenant`` sees it (see the module docs); a flow in neither
    place is a FlowLoadError naming both folders and the flows they hold."""
    path = flow_path(tenant, flows_dir, flow_id)
    if not path.is_file() and "/" not in flow_id and "." not in flow_id:
        own = tenant_flows_dir(tenant)
        known = sorted({p.stem for d in (own, flows_dir) for p in d.glob("*.yaml")})
        raise FlowLoadError(
            f"flow {flow_id!r} not found: neither {own / (flow_id + '.yaml')} nor "
            f"{flows_dir / (flow_id + '.yaml')} exists (flows there: {', '.join(known) or 'none'})",
            path=str(tenant.path),
        )
    return load_flow_by_id(path.parent, flow_id)

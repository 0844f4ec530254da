"""Shared fixtures: a real local stack (livekit-server, dispatcher, worker) on loopback.

The stack serves a copy of the shipped tenants and flows plus deliberately broken ones,
so tests can check that bad configuration is refused cleanly.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from _pytest.nodeid import NodeId

from agent.config import ROOT, Settings, load_settings
from agent.stack import LocalStack, StackPorts
from tests.callers import DEMO_TENANT

# The README's test command runs two xdist workers (``-n 2 --dist loadgroup``): the tests
# that play audio in real time or start livekit-server and workers all go to one of them,
# one at a time in collection order, and everything else (unit tests, Postgres tests) runs
# on the other. A voice test thus never shares the machine with another voice test, only
# with at most one core of other work: the load issue 19 asks the e2e tests to survive (
# five runs in a row beside a one-core CPU burner).
REALTIME_GROUP = "realtime"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # in an xdist worker of a `--dist loadgroup` run (xdist sets `loadgroup` there)
    grouping = bool(os.environ.get("PYTEST_XDIST_WORKER")) and bool(
        getattr(config.option, "loadgroup", False)
    )
    for item in items:
        uses_stack = "stack" in getattr(item, "fixturenames", ())
        if item.get_closest_marker("e2e") or uses_stack:
            item.add_marker(pytest.mark.realtime)
        if grouping and item.get_closest_marker("realtime") and "@" not in item.nodeid:
            # The group is the "@group" suffix of the node id, which xdist's scheduler
            # reads. pytest-xdist 3.8 writes it (for its xdist_group mark) to the node's
            # `_nodeid`, which pytest 9 no longer reads (node ids are `_id`): every voice
            # test then ran on either worker. Written here, in pytest 9's own form.
            item._id = NodeId.parse(f"{item.nodeid}@{REALTIME_GROUP}")  # type: ignore[attr-defined]


BROKEN_FLOW = """\
version: 1
id: broken_flow
start: hello
nodes:
  hello:
    kind: say
    txt: Hello there
    next: hello
"""


@pytest.fixture(scope="session")
def content_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("content")
    tenants, flows = root / "tenants", root / "flows"
    shutil.copytree(ROOT / "tenants", tenants)
    shutil.copytree(ROOT / "flows", flows)
    (tenants / "broken-bakery").mkdir()
    (tenants / "broken-bakery" / "tenant.yaml").write_text(
        "name: Broken Bakery\nflow: broken_flow\n"
    )
    (flows / "broken_flow.yaml").write_text(BROKEN_FLOW)
    # a tenant whose timezone is a folder of the tz database: refused alone, politely
    (tenants / "bad-timezone").mkdir()
    (tenants / "bad-timezone" / "tenant.yaml").write_text(
        "name: Bad Timezone\nflow: demo_bakery\ntimezone: Europe\n"
    )
    # the bakery answering with the walking skeleton's short demo flow (hours, specials):
    # the tests of the voice pipeline itself (VAD gating, barge-in, capture) use it
    demo = tenants / DEMO_TENANT
    shutil.copytree(tenants / "crumb-and-co", demo, ignore=shutil.ignore_patterns(".index"))
    config = (demo / "tenant.yaml").read_text()
    (demo / "tenant.yaml").write_text(re.sub(r"(?m)^flow: .*$", "flow: demo_bakery", config))
    return tenants, flows


@pytest.fixture(scope="session")
def stack_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack worker's call store (SQLite), spool and recordings."""
    return tmp_path_factory.mktemp("stack-data")


@pytest.fixture(scope="session")
def stack_settings(content_dirs: tuple[Path, Path], stack_data_dir: Path) -> Settings:
    tenants, flows = content_dirs
    return load_settings(check_keys=False).model_copy(
        update={"tenants_dir": tenants, "flows_dir": flows, "data_dir": stack_data_dir}
    )


@pytest_asyncio.fixture(scope="session")
async def stack(
    stack_settings: Settings,
    content_dirs: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[LocalStack]:
    tenants, flows = content_dirs
    env = {
        "FRONTDESK_TENANTS_DIR": str(tenants),
        "FRONTDESK_FLOWS_DIR": str(flows),
        "FRONTDESK_DATA_DIR": str(stack_settings.data_dir),
    }
    log_dir = tmp_path_factory.mktemp("stack-logs")
    local = LocalStack(stack_settings, ports=StackPorts.ephemeral(), log_dir=log_dir, extra_env=env)
    async with local:
        yield local

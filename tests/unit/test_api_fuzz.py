"""A schemathesis fuzz of the dispatcher's API from its own OpenAPI document: whatever
a client sends (signed in as staff, or not at all), the answer is never a 500.

LiveKit is down here (nothing listens at its address), so a route that reaches it may
answer 503 naming the call service: that is the dependency's fault, said plainly, not
bad input crashing the dispatcher.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from agent.config import Settings
from agent.control.app import create_app
from agent.control.errors import LIVEKIT_DOWN
from agent.store.engine import sqlite_url
from tests.staff import add_staff_key, bearer

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def staff_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str]]:
    data = tmp_path_factory.mktemp("fuzz")
    key = asyncio.run(add_staff_key(sqlite_url(data), "crumb-and-co"))
    app = create_app(
        Settings.model_validate({"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": Path(data)})
    )
    return app, bearer(key)


def test_no_input_makes_the_dispatcher_fail(staff_key: tuple[Any, dict[str, str]]) -> None:
    app, headers = staff_key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # every route of the API, the new ones with them

    for operation in operations:
        if operation.path == "/readyz":  # 503 is its answer while LiveKit is down
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            # a logout would revoke the key the other operations are fuzzed with
            signed_in = case.operation.path != "/v1/auth/logout"
            for sent in (headers, {}) if signed_in else ({},):
                response = case.call(headers=sent)
                if response.status_code == 503 and response.json().get("error") == LIVEKIT_DOWN:
                    continue
                where = (case.method, case.formatted_path, response.text)
                assert response.status_code < 500, where
                if (
                    response.status_code >= 400
                    and "json" in response.headers.get("content-type", [""])[0]
                ):
                    assert "error" in response.json(), where

        check()

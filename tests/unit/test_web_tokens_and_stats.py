"""A visitor's token grants (decoded), a campaign's counts in the store, `frontdesk qr`,
and the web visitors' settings."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from livekit import api
from PIL import Image
from typer.testing import CliRunner

from agent.cli import app
from agent.config import Settings, load_settings
from agent.errors import ConfigError
from agent.store.analyses import LeadUpdate, upsert_lead
from agent.store.calls import NewCall, start_call
from agent.store.engine import Store
from agent.store.migrate import upgrade
from agent.store.visits import campaign_stats, record_visit
from agent.web.tokens import visitor_token

pytestmark = pytest.mark.unit


def test_visitor_token_grants_one_room_and_the_microphone_only() -> None:
    settings = Settings()
    token = visitor_token(settings, room="web-crumb-1", identity="visitor-1")
    claims = api.TokenVerifier(
        settings.livekit_api_key, settings.livekit_api_secret.get_secret_value()
    ).verify(token)
    video = claims.video
    assert video is not None
    assert (video.room_join, video.room) == (True, "web-crumb-1")
    assert video.can_publish_sources == ["microphone"]
    assert video.can_publish_data is False
    assert video.can_update_own_metadata is False
    assert not (video.room_admin or video.room_create or video.room_list or video.room_record)
    assert claims.identity == "visitor-1"


def test_visitor_token_lives_for_the_configured_ttl() -> None:
    import jwt

    token = visitor_token(Settings(FRONTDESK_WEB_TOKEN_TTL=45), room="r", identity="v")
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["exp"] - payload["nbf"] == 45


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"FRONTDESK_CORS_ORIGINS": "*"}, "FRONTDESK_CORS_ORIGINS"),
        ({"FRONTDESK_CORS_ORIGINS": "https://a.example/path"}, "FRONTDESK_CORS_ORIGINS"),
        ({"FRONTDESK_WEB_RATE_LIMIT": "lots"}, "FRONTDESK_WEB_RATE_LIMIT"),
        ({"FRONTDESK_WEB_TOKEN_TTL": "3"}, "FRONTDESK_WEB_TOKEN_TTL"),
    ],
)
def test_bad_web_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(check_keys=False, **env)


def test_origins_are_a_comma_separated_list() -> None:
    settings = load_settings(
        check_keys=False, FRONTDESK_CORS_ORIGINS="https://a.example, http://localhost:3000/"
    )
    assert settings.cors_origins == ("https://a.example", "http://localhost:3000")


async def test_campaign_counts_visits_calls_and_leads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'frontdesk.db'}"
    from agent.store.engine import normalize_url

    await asyncio.to_thread(upgrade, normalize_url(url))
    store = Store.from_url(url)
    now = datetime.now(UTC)
    try:
        async with store.transaction() as s:
            for n in range(3):
                await record_visit(s, tenant="crumb", campaign="flyer", room=f"web-{n}", at=now)
            await record_visit(s, tenant="crumb", campaign="website", room="web-9", at=now)
            await record_visit(s, tenant="other", campaign="flyer", room="web-8", at=now)
            for n, campaign in enumerate(["flyer", "flyer", "website", None]):
                await start_call(
                    s,
                    NewCall(
                        id=f"c{n}",
                        tenant="crumb",
                        source="web",
                        room=f"web-{n}",
                        started_at=now,
                        campaign=campaign,
                    ),
                )
            await upsert_lead(
                s,
                LeadUpdate(
                    tenant="crumb",
                    contact_key="+441",
                    phone="+441",
                    campaign="flyer",
                    score=10,
                    call_id="c0",
                ),
            )
        async with store.transaction() as s:
            flyer = await campaign_stats(s, "crumb", "flyer")
            later = await campaign_stats(s, "crumb", "flyer", since=now + timedelta(seconds=1))
        assert (flyer.visits, flyer.calls, flyer.completed_calls, flyer.leads) == (3, 2, 0, 1)
        assert (later.visits, later.calls, later.leads) == (0, 0, 0)
    finally:
        await store.close()


def test_qr_command_writes_a_code_of_the_public_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_PUBLIC_URL", "https://talk.crumbandco.example")
    out = tmp_path / "flyer.png"
    result = CliRunner().invoke(
        app, ["qr", "--tenant", "crumb-and-co", "--campaign", "spring-cakes", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(out.read_bytes())))]
    assert decoded == ["https://talk.crumbandco.example/w/crumb-and-co/spring-cakes"]
    svg = tmp_path / "flyer.svg"
    assert (
        CliRunner()
        .invoke(
            app, ["qr", "--tenant", "crumb-and-co", "--campaign", "spring-cakes", "-o", str(svg)]
        )
        .exit_code
        == 0
    )
    assert "<svg" in svg.read_text()


def test_qr_command_refuses_an_unknown_campaign_and_format(tmp_path: Path) -> None:
    unknown = CliRunner().invoke(app, ["qr", "--tenant", "crumb-and-co", "--campaign", "summer"])
    assert unknown.exit_code == 1
    assert "has no campaign 'summer'" in unknown.output
    gif = CliRunner().invoke(
        app,
        [
            "qr",
            "--tenant",
            "crumb-and-co",
            "--campaign",
            "spring-cakes",
            "-o",
            str(tmp_path / "a.gif"),
        ],
    )
    assert gif.exit_code == 2
    assert ".svg or .png" in gif.output

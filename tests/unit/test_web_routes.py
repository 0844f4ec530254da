"""The web visitors' routes without a LiveKit server: validation, refusals, rate limit,
CORS, the widget page and its security headers, QR codes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from agent.config import Settings
from agent.control import npm
from agent.control.app import create_app

pytestmark = pytest.mark.unit

SITE = "https://www.crumbandco.example"
SESSION = {"tenant": "crumb-and-co", "campaign": "crumb-website"}


def make_client(tmp_path: Path, **overrides: object) -> TestClient:
    settings = Settings.model_validate(
        {
            "LIVEKIT_URL": "ws://127.0.0.1:9",
            "data_dir": tmp_path,
            "FRONTDESK_CORS_ORIGINS": SITE,
            **overrides,
        }
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as c:
        yield c


def post_session(client: TestClient, body: object, **headers: str) -> object:
    return client.post(
        "/v1/web/sessions",
        content=json.dumps(body),
        headers={"Content-Type": "application/json", **headers},
    )


def test_unknown_tenant_and_campaign_are_404s_naming_the_field(client: TestClient) -> None:
    tenant = client.post("/v1/web/sessions", json={"tenant": "nobody", "campaign": "x"})
    assert tenant.status_code == 404
    assert tenant.json() == {"error": "unknown tenant 'nobody'", "field": "tenant"}
    campaign = client.post("/v1/web/sessions", json={**SESSION, "campaign": "summer"})
    assert campaign.status_code == 404
    assert campaign.json()["field"] == "campaign"
    assert "summer" in campaign.json()["error"]


def test_bad_session_requests_name_every_field(client: TestClient) -> None:
    resp = client.post("/v1/web/sessions", json={"tenant": "Crumb & Co", "room": "mine"})
    assert resp.status_code == 422
    assert {f["field"] for f in resp.json()["fields"]} == {"tenant", "campaign", "room"}


def test_session_body_must_be_labelled_json(client: TestClient) -> None:
    """A cross-site form cannot post here without the CORS preflight it would fail."""
    resp = client.post(
        "/v1/web/sessions",
        content=json.dumps(SESSION),
        headers={"Content-Type": "text/plain"},
    )
    assert resp.status_code == 422


def test_livekit_down_is_a_503_saying_so(client: TestClient) -> None:
    resp = client.post("/v1/web/sessions", json=SESSION)
    assert resp.status_code == 503
    assert "call service is unavailable" in resp.json()["error"]
    assert "Traceback" not in resp.text


def test_rate_limit_per_client_address(tmp_path: Path) -> None:
    with make_client(tmp_path, FRONTDESK_WEB_RATE_LIMIT="3/minute") as client:
        codes = [client.post("/v1/web/sessions", json=SESSION).status_code for _ in range(4)]
        assert codes == [503, 503, 503, 429]
        refused = client.post("/v1/web/sessions", json=SESSION)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "at most 3 per 1 minute" in refused.json()["error"]
        # the other routes are not limited
        assert client.get("/w/crumb-and-co/crumb-website").status_code == 200


def test_cors_allows_the_configured_origin_only(client: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = client.options("/v1/web/sessions", headers={"Origin": SITE, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SITE
    other = client.options(
        "/v1/web/sessions", headers={"Origin": "https://evil.example", **preflight}
    )
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    simple = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_no_cors_without_configured_origins(tmp_path: Path) -> None:
    with make_client(tmp_path, FRONTDESK_CORS_ORIGINS="") as client:
        resp = client.get("/healthz", headers={"Origin": SITE})
        assert "access-control-allow-origin" not in resp.headers


def test_widget_page_and_its_security_headers(client: TestClient) -> None:
    resp = client.get("/w/crumb-and-co/crumb-website")
    assert resp.status_code == 200
    page = resp.text
    assert '<h1 id="widget-title">Crumb &amp; Co</h1>' in page
    config = page.split('id="frontdesk-config">')[1].split("</script>")[0]
    assert json.loads(config) == {
        "tenant": "crumb-and-co",
        "campaign": "crumb-website",
        "business": "Crumb & Co",
        "sessionUrl": "/v1/web/sessions",
    }
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert f"frame-ancestors 'self' {SITE}" in csp
    assert "connect-src 'self' ws://127.0.0.1:9 http://127.0.0.1:9" in csp
    assert 'aria-live="polite"' in page and 'role="alert"' in page
    assert "disabled>Call</button>" in page  # until widget.js is ready for the click


def test_widget_page_of_an_unknown_campaign_is_an_html_404(client: TestClient) -> None:
    resp = client.get("/w/crumb-and-co/summer")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("text/html")
    assert "has no campaign &#39;summer&#39;" in resp.text


def test_missing_js_client_says_how_to_install_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(npm, "NODE_MODULES", tmp_path / "node_modules")
    page = client.get("/w/crumb-and-co/crumb-website")
    assert page.status_code == 503
    assert "npm ci" in page.text
    lib = client.get("/web/lib/livekit-client.esm.mjs")
    assert lib.status_code == 503
    assert "npm ci" in lib.json()["error"]


def test_browser_files_are_served(client: TestClient) -> None:
    lib = client.get("/web/lib/livekit-client.esm.mjs")
    assert lib.status_code == 200, "run npm ci"
    assert lib.headers["content-type"].startswith("text/javascript")
    core = client.get("/web/static/call.js")
    assert core.status_code == 200
    assert 'from "../lib/livekit-client.esm.mjs"' in core.text
    assert client.get("/web/embed.js").status_code == 200
    assert client.get("/web/static/..%2F__init__.py").status_code == 404
    assert client.get("/web/lib/left-pad.js").status_code == 404


@pytest.mark.parametrize("public_url", [None, "https://talk.crumbandco.example/"])
def test_qr_code_decodes_to_the_widget_address(tmp_path: Path, public_url: str | None) -> None:
    with make_client(tmp_path, FRONTDESK_PUBLIC_URL=public_url) as client:
        png = client.get("/w/crumb-and-co/crumb-website/qr.png")
        assert png.headers["content-type"] == "image/png"
        decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
        base = (public_url or "http://127.0.0.1:8089/").rstrip("/")
        assert decoded == [f"{base}/w/crumb-and-co/crumb-website"]
        svg = client.get("/w/crumb-and-co/crumb-website/qr.svg")
        assert svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
        assert client.get("/w/crumb-and-co/summer/qr.svg").status_code == 404
        assert client.get("/w/crumb-and-co/crumb-website/qr.gif").status_code == 422

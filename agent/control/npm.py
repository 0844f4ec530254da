"""Browser files the dispatcher serves from the npm packages of ``package.json``.

``npm ci`` (run by ``.ci/bootstrap``) installs them into ``node_modules/`` (git-ignored);
nothing is fetched from a CDN when a page loads. A missing package is reported with the
command that installs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import ROOT

NODE_MODULES = ROOT / "node_modules"
INSTALL_HINT = f"run `npm ci` in {ROOT} (or `bash .ci/bootstrap`)"


@dataclass(frozen=True)
class NpmFile:
    """One file of an installed npm package, served at ``/web/lib/<name>``."""

    package: str
    path: str  # inside the package
    media_type: str

    @property
    def location(self) -> Path:
        return NODE_MODULES / self.package / self.path

    def installed(self) -> bool:
        return self.location.is_file()

    def missing_message(self) -> str:
        return f"the browser library {self.package} is not installed: {INSTALL_HINT}"


LIVEKIT_CLIENT = NpmFile("livekit-client", "dist/livekit-client.esm.mjs", "text/javascript")
SERVED: dict[str, NpmFile] = {
    "livekit-client.esm.mjs": LIVEKIT_CLIENT,
    "swagger-ui-bundle.js": NpmFile("swagger-ui-dist", "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": NpmFile("swagger-ui-dist", "swagger-ui.css", "text/css"),
    "swagger-favicon.png": NpmFile("swagger-ui-dist", "favicon-32x32.png", "image/png"),
}


def missing() -> list[NpmFile]:
    """The served files that are not installed (one per package)."""
    gone = {f.package: f for f in SERVED.values() if not f.installed()}
    return list(gone.values())

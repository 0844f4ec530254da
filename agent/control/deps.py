"""What the dispatcher's routes share, as typed FastAPI dependencies.

The app factory (:func:`agent.control.app.create_app`) puts the settings on
``app.state``; its lifespan opens one livekit-api client per app. A route takes them as
parameters annotated ``SettingsDep``, ``LiveKitDep`` and ``StoreDep`` (the app's store).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from livekit import api

from ..config import Settings
from ..store.engine import Store
from .summary import Summarizer


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def livekit_of(request: Request) -> api.LiveKitAPI:
    lkapi = request.app.state.livekit
    assert isinstance(lkapi, api.LiveKitAPI)
    return lkapi


SettingsDep = Annotated[Settings, Depends(settings_of)]
LiveKitDep = Annotated[api.LiveKitAPI, Depends(livekit_of)]


def store_of(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


StoreDep = Annotated[Store, Depends(store_of)]


def summarizer_of(request: Request) -> Summarizer:
    summarizer = request.app.state.summarizer
    assert isinstance(summarizer, Summarizer)
    return summarizer


SummarizerDep = Annotated[Summarizer, Depends(summarizer_of)]

"""One handler per node kind (see :mod:`.base`), found by the node's model class."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..model import (
    AnswerNode,
    AskNode,
    ClarifyNode,
    EndNode,
    HandoffNode,
    LeadGateNode,
    LlmNode,
    QuestionsNode,
    SayNode,
)
from .answer import AnswerHandler
from .ask import AskHandler
from .base import Handler, ListeningHandler
from .clarify import ClarifyHandler
from .lead_gate import LeadGateHandler
from .llm import LlmHandler
from .questions import QuestionsHandler
from .speaking import EndHandler, HandoffHandler, SayHandler

HANDLERS: Mapping[type, Handler[Any]] = MappingProxyType({
    SayNode: SayHandler(),
    HandoffNode: HandoffHandler(),
    EndNode: EndHandler(),
    AskNode: AskHandler(),
    LeadGateNode: LeadGateHandler(),
    AnswerNode: AnswerHandler(),
    ClarifyNode: ClarifyHandler(),
    QuestionsNode: QuestionsHandler(),
    LlmNode: LlmHandler(),
})  # fmt: skip

__all__ = ["HANDLERS", "Handler", "ListeningHandler"]

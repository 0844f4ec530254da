"""Build one room's call: resolve the tenant, load its flow, assemble the AgentSession.

Everything that can be wrong with a tenant or flow is found in :func:`prepare_call`,
before the worker joins the room, so a room is never served half-configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from livekit.agents import NOT_GIVEN, AgentSession, vad

from .config import Settings
from .endpointing import AnswerEndpointing, ExpectedAnswerTurns, turn_handling
from .errors import TenantError
from .flow.events import EventSink
from .flow.load import require_llm
from .flow.machine import FlowMachine
from .flow.model import Flow
from .knowledge.base import KnowledgeSearch
from .providers.choice import ProviderChoice
from .providers.fallback import session_conn_options
from .providers.kinds import AnyLLM, AnySTT, AnyTTS
from .providers.registry import build_llm, build_stt, build_tts
from .record.vocabulary import Source
from .tenants import RoomKeys, Tenant, TenantRegistry
from .tenants.assistant import assistant_instructions
from .tenants.context import template_context
from .tenants.flows import load_tenant_flow
from .tenants.model import MeetingMode

logger = logging.getLogger("frontdesk.session")


@dataclass(frozen=True)
class CallPlan:
    """What a room's call will run: the tenant, its validated flow, its providers (the
    tenant's, else the deployment's), the knowledge base its answer nodes use, and
    whether an LLM assists (LLM-assisted mode)."""

    tenant: Tenant
    flow: Flow
    providers: ProviderChoice
    source: Source = "web"  # how the room came in: sip, web or meeting
    campaign: str | None = None  # the web widget's campaign, if the room names one
    called_number: str | None = None  # SIP: the number the caller dialled (E.164)
    knowledge: KnowledgeSearch | None = None
    # the LLM's instructions for this tenant (its prompts/assistant.txt, rendered)
    instructions: str | None = None
    # the blocking part of a knowledge search (hybrid: the question's embedding), for the
    # worker to run off the event loop before the flow reads a caller's turn
    prepare_turn: Callable[[str], None] | None = None
    # a meeting room in assistant mode runs the meeting assistant, not the flow
    meeting_mode: MeetingMode = "discovery"

    @property
    def meeting_assistant(self) -> bool:
        return self.source == "meeting" and self.meeting_mode == "assistant"

    @property
    def assisted(self) -> bool:
        return self.providers.assisted

    def machine(self, sink: EventSink | None = None) -> FlowMachine:
        return FlowMachine(
            self.flow,
            template_context(self.tenant),
            sink=sink,
            knowledge=self.knowledge,
            knowledge_threshold=self.tenant.config.knowledge.threshold,
            assisted=self.assisted,
            transfers=self.source == "sip",  # only a phone line can be transferred
        )


def prepare_call(settings: Settings, keys: RoomKeys | str | None) -> CallPlan:
    """Resolve the room's tenant from its ``keys`` (or its JSON metadata), choose its
    providers, load its flow (refused if it needs an LLM and none is chosen) and its
    knowledge base; raises TenantError (UnknownTenantError for a key no tenant has, or a
    provider whose key is not set) or FlowLoadError. Blocking: run it off the call's
    event loop. Tenant files are re-read when they change."""
    if not isinstance(keys, RoomKeys):
        keys = RoomKeys.from_room(keys)
    tenant = tenant_registry(settings.tenants_dir, settings.default_tenant).resolve(keys)
    providers = ProviderChoice.of(settings, tenant.config.providers)
    if missing := providers.missing_keys(settings):
        raise TenantError(
            f"{tenant.path}: providers: {', '.join(missing)} is not set, but the tenant's "
            "providers need it"
        )
    flow_id = tenant.config.flow_for(keys.call_source, keys.campaign)
    flow = load_tenant_flow(tenant, settings.flows_dir, flow_id)  # its own, else shared
    require_llm(flow, llm_configured=providers.assisted, source=f"tenant {tenant.id!r}")
    instructions = assistant_instructions(tenant) if providers.assisted else None
    plan = CallPlan(
        tenant,
        flow,
        providers,
        keys.call_source,
        keys.campaign,
        called_number=keys.called_number,
        instructions=instructions,
        meeting_mode=keys.mode,
    )
    if not (flow.uses_knowledge() or plan.meeting_assistant):  # the assistant answers from it
        return plan
    from .tenants.knowledge import knowledge_for  # bm25 and numpy: only when needed

    knowledge = knowledge_for(tenant, embeddings=settings.kb_embeddings)
    prepare = knowledge.prepare if knowledge.hybrid else None
    return replace(plan, knowledge=knowledge, prepare_turn=prepare)


@cache
def tenant_registry(tenants_dir: Path, default: str | None) -> TenantRegistry:
    """The process's tenants: loaded once, reloaded when their files change (new calls
    see the new configuration; a running call keeps the objects it was given)."""
    return TenantRegistry(tenants_dir, default=default)


@dataclass
class Pipeline:
    """The speech components (and LLM) of one provider choice."""

    vad_model: vad.VAD
    stt: AnySTT
    tts: AnyTTS
    llm: AnyLLM | None = None

    @classmethod
    def build(
        cls, settings: Settings, vad_model: vad.VAD, choice: ProviderChoice | None = None
    ) -> Pipeline:
        """Build ``choice``'s providers (the deployment's by default). Blocking."""
        choice = choice or ProviderChoice.of(settings)
        chosen = choice.settings(settings)
        return cls(
            vad_model,
            build_stt(chosen, vad_model=vad_model),
            build_tts(chosen, voice=choice.voice),
            build_llm(chosen),
        )

    def endpointing(self, settings: Settings) -> ExpectedAnswerTurns | None:
        """A session's expected-answer turn detector (with its own VAD options), or None
        when FRONTDESK_EXPECTED_ANSWER_ENDPOINTING is off. Give it to :meth:`session` and
        to the FlowAgent, which tells it what each node expects."""
        options = AnswerEndpointing.of(settings)
        return ExpectedAnswerTurns(options, self.vad_model) if options.enabled else None

    def session(
        self, settings: Settings, *, endpointing: ExpectedAnswerTurns | None = None
    ) -> AgentSession[None]:
        """A session on these providers; with ``endpointing``, its turns end as the
        listening node's expected answers say (see :mod:`agent.endpointing`)."""
        return AgentSession(
            vad=endpointing.vad if endpointing is not None else self.vad_model,
            stt=self.stt,
            tts=self.tts,
            llm=self.llm if self.llm is not None else NOT_GIVEN,
            turn_handling=turn_handling(endpointing),
            conn_options=session_conn_options(settings),
            user_away_timeout=None,
            # livekit ignores the caller for this long after the agent first speaks (echo
            # before AEC settles). Its 3 s default swallows a caller who answers the greeting.
            aec_warmup_duration=settings.aec_warmup_s or None,
        )


@dataclass
class Pipelines:
    """A worker process's pipelines: one per provider choice, built on first use and
    reused (a job process serves one call at a time; the VAD model is shared)."""

    settings: Settings
    vad_model: vad.VAD
    _built: dict[ProviderChoice, Pipeline] = field(default_factory=dict)

    def get(self, choice: ProviderChoice) -> Pipeline:
        """``choice``'s pipeline (blocking the first time: run it off the event loop)."""
        pipeline = self._built.get(choice)
        if pipeline is None:
            pipeline = Pipeline.build(self.settings, self.vad_model, choice)
            self._built[choice] = pipeline
        return pipeline

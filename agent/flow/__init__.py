"""The flow engine: declarative YAML flow graphs, loaded eagerly, run by a pure machine.

- :mod:`.model`: the pydantic models of a flow file, and its JSON Schema;
  :mod:`.conditions`: the ``when`` of a transition (keywords, ``{if: EXPRESSION}``, ...).
- :mod:`.load`: YAML in, a validated and checked :class:`Flow` out (errors name file:line).
- :mod:`.templates`: sandboxed Jinja2 rendering and the load-time variable check.
- :mod:`.match`: deterministic matchers (choices, yes/no, global intents) and STT hints;
  :mod:`.answers`: an utterance read as an ask's slot value (typed ones by :mod:`.slots`).
- :mod:`.machine`: the synchronous state machine that turns caller input into actions;
  :mod:`.events`: what it reports (node entered, slot set, transition taken, ...).

``runtime.py`` (the livekit adapter) is not imported here, so this package stays free of
audio and livekit for text-mode use.

The author's tools (graph checks, scenarios, coverage, drawings, ``frontdesk flow``) are
in :mod:`agent.authoring`, above the engine: nothing here imports them, nor tenants, the
store or the CLI (import-linter's contracts in ``pyproject.toml``).
"""

from .answers import Answer, read_answer
from .conditions import (
    CallSecondsOver,
    Condition,
    ExpressionCondition,
    Keyword,
    OwnSlotEquals,
    SlotEquals,
)
from .events import (
    Ended,
    EventSink,
    FlowEvent,
    GlobalIntent,
    ListSink,
    NodeEntered,
    Reprompt,
    SlotCleared,
    SlotSet,
    TransitionTaken,
)
from .load import load_flow, load_flow_by_id, parse_flow
from .machine import Action, FlowMachine, FlowState, Hangup, Listen, Say
from .match import hints_for, match_choice, match_global_intent, match_yes_no, normalize
from .model import (
    AskNode,
    AskType,
    EndNode,
    Flow,
    GlobalIntentName,
    GlobalIntents,
    Node,
    SayNode,
    Transition,
    YesNo,
    flow_json_schema,
)
from .templates import TemplateContext, TenantInfo, greeting_for_time_of_day

__all__ = [
    "Action",
    "Answer",
    "AskNode",
    "AskType",
    "CallSecondsOver",
    "Condition",
    "EndNode",
    "Ended",
    "EventSink",
    "ExpressionCondition",
    "Flow",
    "FlowEvent",
    "FlowMachine",
    "FlowState",
    "GlobalIntent",
    "GlobalIntentName",
    "GlobalIntents",
    "Hangup",
    "Keyword",
    "ListSink",
    "Listen",
    "Node",
    "NodeEntered",
    "OwnSlotEquals",
    "Reprompt",
    "Say",
    "SayNode",
    "SlotCleared",
    "SlotEquals",
    "SlotSet",
    "TemplateContext",
    "TenantInfo",
    "Transition",
    "TransitionTaken",
    "YesNo",
    "flow_json_schema",
    "greeting_for_time_of_day",
    "hints_for",
    "load_flow",
    "load_flow_by_id",
    "match_choice",
    "match_global_intent",
    "match_yes_no",
    "normalize",
    "parse_flow",
    "read_answer",
]

"""The types flow events are stored under (a flow event row's ``type``), defined once.

Each member's value is the name of its event class in :mod:`agent.flow.events` (rows
keep the names they always had); :data:`agent.flow.events.EVENT_TYPES` maps each class
to its member, and fails at import when a class has none. The store, the control API
and a resumed call read rows back by these members, never by a class name typed again.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    NODE_ENTERED = "NodeEntered"
    SLOT_SET = "SlotSet"
    SLOT_CLEARED = "SlotCleared"
    TRANSITION_TAKEN = "TransitionTaken"
    REPROMPT = "Reprompt"
    GLOBAL_INTENT = "GlobalIntent"
    KNOWLEDGE_ANSWERED = "KnowledgeAnswered"
    CONSENT_RECORDED = "ConsentRecorded"
    HANDOFF_REQUESTED = "HandoffRequested"
    HUMAN_JOINED = "HumanJoined"
    HUMAN_LEFT = "HumanLeft"  # read by the live feed; no flow event class has this name
    HANDED_BACK = "HandedBack"
    HANDOFF_TIMED_OUT = "HandoffTimedOut"
    CALL_TRANSFERRED = "CallTransferred"
    ASSIST_FAILED = "AssistFailed"
    CALL_RESUMED = "CallResumed"
    ENDED = "Ended"

"""A structured log of a call's turns, both sides, taken from the session's events.

Transcript text goes in the log record's ``extra`` fields, never in the message, so log
pipelines can redact it.
"""

from __future__ import annotations

import logging

from livekit.agents import AgentSession, llm
from livekit.agents.voice.events import (
    ConversationItemAddedEvent,
    UserInputTranscribedEvent,
)

logger = logging.getLogger("frontdesk.transcript")


def attach_transcript_log(session: AgentSession[None]) -> None:
    def on_user(event: UserInputTranscribedEvent) -> None:
        if event.is_final and event.transcript.strip():
            logger.info("caller said", extra={"speaker": "caller", "text": event.transcript})

    def on_item(event: ConversationItemAddedEvent) -> None:
        item = event.item
        if isinstance(item, llm.ChatMessage) and item.role == "assistant":
            logger.info(
                "agent said",
                extra={
                    "speaker": "agent",
                    "text": item.text_content or "",
                    "interrupted": item.interrupted,
                },
            )

    session.on("user_input_transcribed", on_user)
    session.on("conversation_item_added", on_item)

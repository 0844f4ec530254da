"""The analysis of one call, validated by pydantic wherever it comes from (LLM or rules).

:class:`CallAnalysis` is what the tenant's analyzer schema asks for: the call type, that
type's fields, a summary and a sentiment in [-1, 1]; meeting calls add a
:class:`MeetingAnalysis`. :class:`AnalysisOutcome` records which method produced it and,
when the LLM's output was unusable, why it fell back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["high", "medium", "low"]
Method = Literal["llm", "deterministic"]


class MeetingAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_score: int = Field(ge=0, le=100)
    qualification_status: Literal["qualified", "unqualified", "needs_follow_up", "unknown"]
    key_insights: list[str] = Field(default_factory=list)
    pain_points: list[str] = Field(default_factory=list)
    buying_signals: list[str] = Field(default_factory=list)
    budget: str | None = None
    timeline: str | None = None
    decision_makers: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
    engagement_level: Level
    follow_up_priority: Level


class CallAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_type: str | None = Field(description="One of the tenant's call types, or null")
    fields: dict[str, str] = Field(
        default_factory=dict, description="The call type's fields that the call gave"
    )
    summary: str = Field(min_length=1, max_length=2000)
    sentiment: float = Field(ge=-1, le=1, description="Caller sentiment, -1 to 1")
    meeting: MeetingAnalysis | None = None


@dataclass(frozen=True, kw_only=True)
class AnalysisOutcome:
    analysis: CallAnalysis
    method: Method
    model: str | None = None  # the LLM's model when method == "llm"
    attempts: int = 0  # LLM attempts made (0 when no LLM was configured)
    error: str | None = None  # why the LLM's output was not used

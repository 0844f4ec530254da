"""What the simulated caller says, and when it says a line again.

A caller on the phone answers the question it is asked, and when the agent asks the same
question again ("Sorry, how many people is the table for?") it says its answer once more.
Each :class:`Line` names the question it answers by words of that question's prompt and
reprompts (``asked``, a regular expression), so the caller can tell "asked again" from
"moved on" by what the agent said, as a person does, without reading the flow's state.
A line may have answers to give ``instead`` when the agent refuses this one (a day the
business turns out to be closed: "Sorry, we're closed on Tuesday the 24th of December, for
Christmas Eve. What other day ...?"), so a call placed in a holiday week still books.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_REPEATS = 2  # a line is said at most three times (the flows shipped reprompt twice)
REFUSED = r"sorry, we're closed|we're open from|don't take appointments"


@dataclass(frozen=True)
class Line:
    text: str
    asked: str  # matches the agent's words when it asks for this line (prompt or reprompt)
    node: str  # the flow node whose question this line answers (checked by the tests)
    instead: tuple[str, ...] = ()  # said, in turn, when the agent refuses the answer
    refused: str = REFUSED  # matches the agent's words when it refuses the answer
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _refusal: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", re.compile(self.asked, re.IGNORECASE))
        object.__setattr__(self, "_refusal", re.compile(self.refused, re.IGNORECASE))

    def is_asked(self, said: str) -> bool:
        return bool(self._pattern.search(said))

    def is_refused(self, said: str) -> bool:
        return bool(self._refusal.search(said))


@dataclass
class ScriptCursor:
    """Where the caller is in its script: the line it says next, and how often it has
    said that line already."""

    script: Sequence[Line]
    index: int = 0
    repeats: int = 0
    alternative: int = 0  # 0: the line's text; n: its n-th answer given instead

    @property
    def line(self) -> Line | None:
        return self.script[self.index] if self.index < len(self.script) else None

    @property
    def text(self) -> str:
        """What the caller says now: the line, or the answer it gives instead."""
        line = self.line
        if line is None:
            return ""
        return line.instead[self.alternative - 1] if self.alternative else line.text

    def heard(self, reply: str) -> None:
        """Take the agent's ``reply`` to the line just said: when the reply asks this
        line's question and not the next one's, give the next answer ``instead`` if the
        reply refused this one, else say it again (at most :data:`MAX_REPEATS` times);
        otherwise go on to the next line."""
        line = self.line
        following = self.script[self.index + 1] if self.index + 1 < len(self.script) else None
        asked_again = (
            line is not None
            and line.is_asked(reply)
            and not (following is not None and following.is_asked(reply))
        )
        refused = asked_again and line is not None and line.is_refused(reply)
        if refused and line is not None and self.alternative < len(line.instead):
            self.alternative, self.repeats = self.alternative + 1, 0
            return
        if asked_again and self.repeats < MAX_REPEATS:
            self.repeats += 1
        else:
            self.index, self.repeats, self.alternative = self.index + 1, 0, 0


# flows/receptionist.yaml: book a table
BOOKING_SCRIPT: tuple[Line, ...] = (
    Line("book a table", r"how can i help|place an order, book a table|order, table", "main_menu"),
    Line("four", r"how many", "party_size"),
    # a Saturday morning: the bakery is open then, whatever day the demo runs
    Line(
        "saturday at eleven in the morning",
        r"what day|which day|other day|when would",
        "booking_when",
    ),
    Line("my name is peter smith", r"\bname\b", "booking_name"),
    # "zero", not "oh": PocketSphinx hears eSpeak's "oh seven" as "oh two one" (digits
    # said as "zero" came through 9 times in 9 voices, "oh" in at most 5)
    Line("zero two zero nine four six zero one two three four", r"number", "booking_phone"),
    Line("yes", r"shall i|go ahead|say yes", "booking_confirm"),
)
# flows/demo_bakery.yaml (the skeleton's demo flow): hours, then specials
_TOPIC = r"what would you like|our hours, our specials|say hours"
_MORE = r"anything else|yes or a no"
BAKERY_SCRIPT: tuple[Line, ...] = (
    Line("opening hours", _TOPIC, "topic"),
    Line("yes", _MORE, "anything_else"),
    Line("today's specials", _TOPIC, "topic"),
    Line("no thank you", _MORE, "anything_else"),
)
# flows/general_receptionist.yaml (tenant hudson-dental): book a cleaning. A Tuesday
# morning, or the next weekday when that Tuesday is a holiday the practice closes on.
APPOINTMENT_SCRIPT: tuple[Line, ...] = (
    Line(
        "book an appointment",
        r"how can i help|book an appointment, get a call back|question, appointment, call back",
        "main_menu",
    ),
    Line("a cleaning", r"is it for|is the appointment for|which appointment", "appointment"),
    Line(
        "tuesday at ten in the morning",
        r"what day|which day|other day|when would",
        "appointment_when",
        instead=("wednesday at ten in the morning", "thursday at ten in the morning"),
    ),
    Line("my name is peter smith", r"\bname\b", "appointment_name"),
    Line("two one two five five five zero one four two", r"number", "appointment_phone"),
    Line("yes", r"shall i|go ahead|say yes", "appointment_confirm"),
)
SCRIPTS: dict[str, tuple[Line, ...]] = {
    "receptionist": BOOKING_SCRIPT,
    "demo_bakery": BAKERY_SCRIPT,
    "general_receptionist": APPOINTMENT_SCRIPT,
}

"""Whether a caller's words are a question (or ask for information), however they start.

An intent with ``questions: true`` matches them, so a menu hands "I chipped a tooth, what
do I do?", "can I park nearby?" or "should I bring my insurance card?" to its answer
node instead of saying the menu again. STT output rarely has a question mark, so the
words decide:

- a question word before a verb, anywhere: "what do I do", "how long does it take",
  "which insurers do you take", "where's the car park";
- an auxiliary verb before its subject, at the start: "can I", "should I", "do you",
  "is there", "are you", "will it" (after fillers: "hi, yes, so do you ...");
- a request for information: "I was wondering", "I need to know", "tell me", "any idea";
- a question mark, when the recognizer writes one.

Intents are tried in the order a node lists them, so a flow puts its task intents first
("can I book an appointment?" is a booking) and the question intent last.
"""

from __future__ import annotations

import re

from .match import tokens

WH = r"(?:what|when|where|which|who|whom|whose|why|how)"
AUX = (
    r"(?:do|does|did|is|are|was|were|am|can|could|should|would|will|shall|may|might|must"
    r"|have|has|had)"
)
SUBJECT = r"(?:i|you|we|they|it|he|she|there|my|your|our|the|a|an|this|that|these|those|any)"
LEAD_IN = r"(?:(?:hi|hello|hey|hiya|yes|yeah|ok|okay|so|well|right|and|but|also|just|um|oh) )*"
# "wheres" and the like: a contraction the tokenizer keeps whole
WH_CONTRACTED = r"(?:wheres|whens|whats|hows|whos|whys|whered)"
ASKING = (
    r"(?:i was wondering|i am wondering|i wonder|i would like to know|i want to know|i need "
    r"to know|i wanted to know|i would like to ask|i want to ask|i wanted to ask|tell me|"
    r"could you tell me|can you tell me|any idea|do you know|quick question|i have a question"
    r"|i have got a question|i got a question)"
)

_QUESTION = re.compile(
    rf"\b{WH} (?:\w+ ){{0,2}}{AUX}\b"  # "what do", "how much does", "which insurers do"
    rf"|\b{WH} (?:much|many|long|far|often|soon|late|early|old)\b"  # "how much", "how long"
    rf"|\b{WH_CONTRACTED}\b"
    rf"|^{LEAD_IN}{AUX} (?:not )?{SUBJECT}\b"  # "can i", "should i", "do you", "is there"
    rf"|\b{ASKING}\b"
)


def is_question(text: str) -> bool:
    """Whether ``text`` (a caller's words, with or without punctuation) asks something."""
    if "?" in text:
        return True
    return bool(_QUESTION.search(" ".join(tokens(text))))

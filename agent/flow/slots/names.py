"""A person's name (:func:`extract_name`) and free text (:func:`extract_text`)."""

from __future__ import annotations

import re

from .context import SlotContext, SlotValue
from .numbers import _FILLERS, _ORDINALS, _SMALL

_NAME_LEAD_IN = re.compile(
    r"(?:(?:yes|yeah|hi|hello|hey|sure|ok|okay|so|well|uh|um|oh|no)[\s,]+)*"
    r"(?:(?:(?:my|the)\s+)?name(?:'s|\s+is)\s+|(?:it|this|that)(?:'s|\s+is)\s+|its\s+"
    r"|i'm\s+|im\s+|i\s+am\s+|(?:you\s+can\s+)?call\s+me\s+)?"
)
_NAME_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")
_NAME_END = frozenset({"and", "from", "calling", "here", "speaking", "please", "thanks", "but"})
_NOT_NAMES = frozenset({
    "yes", "yeah", "yep", "no", "nope", "ok", "okay", "sure", "hello", "hi", "hey", "sorry",
    "what", "pardon", "thank", "thanks", "nothing", "nobody", "none", "not", "know", "dont",
    "don't", "i", "me", "my", "the", "a", "an", "is", "it", "you", "your", "name", "repeat",
    "again", "bye", "goodbye", "oh", "o", "idea", "clue", "rather", "skip", "pass",
    "unknown", "anonymous", "private", "hold", "wait", "moment", "minute", "second",
    *_FILLERS, *_SMALL, *_ORDINALS,
})  # fmt: skip


# Common given names and surnames in English-speaking countries: recognizer hints for name
# asks (an offline grammar only hears words it is given; other names fall back to free
# speech). A cloud STT hears any name.
COMMON_NAMES = (  # given names
    "james", "john", "robert", "michael", "william", "david", "richard", "joseph",
    "thomas", "charles", "daniel", "matthew", "anthony", "mark", "paul", "steven",
    "andrew", "peter", "george", "edward", "oliver", "harry", "jack", "samuel", "adam",
    "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara", "susan", "jessica",
    "sarah", "karen", "nancy", "lisa", "emma", "olivia", "sophie", "emily", "anna",
    "jane", "laura", "rachel", "amy", "helen", "claire", "kate", "lucy", "alice", "grace",
    "maria", "rose", "ruth", "julia",
)  # fmt: skip
SURNAMES = (
    "smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies",
    "robinson", "wright", "thompson", "evans", "walker", "white", "roberts", "green",
    "hall", "wood", "jackson", "clarke", "martin", "miller", "davis", "garcia", "clark",
    "lewis", "lee", "king", "baker", "hill", "scott", "adams", "turner", "parker", "cook",
    "morgan", "bell", "murphy", "cooper", "ward", "harris", "moore", "young", "allen",
)  # fmt: skip


def extract_name(text: str, ctx: SlotContext) -> SlotValue | None:
    """A person's name: "my name is jane doe" -> "Jane Doe"; at most four words, and
    none of them a number, yes/no or a filler."""
    lowered = " ".join(text.lower().replace("\u2019", "'").split())
    rest = _NAME_LEAD_IN.sub("", lowered, count=1)
    if re.search(r"\d", rest):
        return None
    name: list[str] = []
    for word in _NAME_WORD.findall(rest):
        if word in _NAME_END:
            break
        name.append(word)
    if not 1 <= len(name) <= 4 or any(w in _NOT_NAMES or len(w) > 30 for w in name):
        return None
    titled = " ".join(re.sub(r"[a-z]+", lambda m: m.group().capitalize(), w) for w in name)
    return SlotValue(titled, titled)


# "the business is called Hackney Coffee", "we're called ...", "it's called ...": what is
# named is what follows (a prompt then says "tell me about Hackney Coffee", not "about the
# business is called Hackney Coffee")
_CALLED_LEAD_IN = re.compile(
    r"^(?:(?:(?:the|our|my)\s+)?(?:business|company|shop|firm|practice|organi[sz]ation)"
    r"(?:'s|\s+is)\s+called|(?:it|we|they|that)(?:'s|'re|\s+is|\s+are)\s+called"
    r"|(?:(?:the|our|my)\s+)?(?:business|company|shop|firm)(?:\s+name)?(?:'s|\s+is))\s+",
    re.IGNORECASE,
)


def extract_text(text: str, ctx: SlotContext) -> SlotValue | None:
    """Whatever was said, with its spaces tidied and its closing full stop dropped (a
    recognizer's punctuation, not the caller's words); a naming lead-in ("the business
    is called ...") is left out. None when nothing was said."""
    tidy = " ".join(text.replace("\u2019", "'").split()).rstrip(".!? ")
    named = _CALLED_LEAD_IN.sub("", tidy, count=1)
    value = named or tidy
    return SlotValue(value, value) if value else None

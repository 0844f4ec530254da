"""What a declined consent withholds from the post-call records.

The lead gate asks to keep the caller's email address (and to email them). When the
caller declines, or never answers, the flow drops the email slot, and the post-call
pipeline keeps no email of that call either: none in the analysis' fields or summary,
none on the lead (:func:`agent.postcall.score.contact_for`). The call's transcript stays
the business's record of the call, and the consent record names who declined.
"""

from __future__ import annotations

import re

from ..record.facts import CallFacts
from .models import CallAnalysis

EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WITHHELD = "(email withheld: no consent)"


def email_declined(facts: CallFacts) -> bool:
    """The caller was asked for consent to keep their email, and did not give it."""
    return facts.consent is False


def withhold_email(facts: CallFacts, analysis: CallAnalysis) -> CallAnalysis:
    """``analysis`` without any email address when the caller declined consent."""
    if not email_declined(facts):
        return analysis
    fields = {k: v for k, v in analysis.fields.items() if not EMAIL_IN_TEXT.search(v)}
    summary = EMAIL_IN_TEXT.sub(WITHHELD, analysis.summary)
    return analysis.model_copy(update={"fields": fields, "summary": summary})

"""Web visitors: the call widget, its token endpoint and the campaigns' QR codes.

A business prints a campaign's QR code (:mod:`.qr`, ``frontdesk qr``); a visitor who
scans it opens the widget page (``/w/<tenant>/<campaign>``, :mod:`.pages`) or a site
embeds it with one ``<script>`` (``/web/embed.js``). Pressing "call" asks the dispatcher
for a session (:mod:`.sessions`): a room for that campaign, the agent dispatched to it,
and a LiveKit token for that one room that may publish the microphone only
(:mod:`.tokens`), rate-limited per client address (:mod:`.ratelimit`). The browser side
is ``static/``: ``call.js`` is the reusable core (join, microphone, transcript, mute,
hang up, errors), ``widget.js`` the page around it.

The routes (:mod:`.routes`) are one router of the dispatcher's app. This package imports
the engine (tenants, store, dispatch); nothing in the engine imports it.
"""

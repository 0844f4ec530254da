"""The meeting join page: the web widget's call client (``/web/static/call.js``) with a
session from the join link's token (read from the link's fragment, decoded, posted to
``/v1/meetings/join``)."""

from __future__ import annotations

JOIN_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Join the meeting</title>
  <link rel="stylesheet" href="/web/static/widget.css">
  <script type="module">
    import { VoiceCall, sessionFromDispatcher } from "/web/static/call.js";
    const token = decodeURIComponent(location.hash.slice(1));
    const call = new VoiceCall({
      session: sessionFromDispatcher("/v1/meetings/join", { token }),
      agentTimeoutMs: 60000,
    });
    const state = document.getElementById("state");
    call.addEventListener("statechange", ({ detail }) => {
      state.textContent = detail.error ? detail.error.message : detail.state;
    });
    document.getElementById("join").addEventListener("click", () => call.start());
    document.getElementById("leave").addEventListener("click", () => call.hangUp());
  </script>
</head>
<body>
  <main class="widget">
    <h1>Your meeting</h1>
    <p id="state" role="status">idle</p>
    <button id="join" type="button">Join</button>
    <button id="leave" type="button">Leave</button>
  </main>
</body>
</html>
"""

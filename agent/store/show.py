"""Plain-text layout of a call report (``frontdesk calls show``)."""

from __future__ import annotations

from typing import Any

from ..record.events import EventType


def _t(value: Any) -> str:
    return value.strftime("%H:%M:%S") if hasattr(value, "strftime") else str(value or "-")


def format_report(data: dict[str, Any]) -> str:
    c = data["call"]
    out = [
        f"call {c['id']}  tenant {c['tenant']}  source {c['source']}  room {c['room']}",
        f"  caller {c['caller_number'] or c['caller_identity'] or '-'}"
        f"{'  dialled ' + c['called_number'] if c.get('called_number') else ''}"
        f"  flow {c['flow_id'] or '-'}"
        f"{'  campaign ' + c['campaign'] if c.get('campaign') else ''}"
        f"  status {c['status']}  duration {c['duration_s'] or 0:.1f}s  end node "
        f"{c['end_node'] or '-'}  errors {c['error_count']}",
        "",
        "transcript:",
    ]
    for t in data["turns"]:
        parts = [f"{k} {v * 1000:.0f}ms" for k, v in t["latency"].items()]
        if t.get("stt_confidence") is not None:
            parts.insert(0, f"stt confidence {t['stt_confidence']:.2f}")
        lat = ", ".join(parts)
        speaker = t.get("speaker_identity") or t["speaker"]
        out.append(f"  [{_t(t['started_at'])}] {speaker:>6}: {t['text']}")
        if lat:
            out.append(f"           ({lat})")
    path = [e["node"] for e in data["events"] if e["type"] == EventType.NODE_ENTERED]
    out += ["", "flow path: " + (" -> ".join(path) or "-")]
    for e in data["events"]:
        if e["type"] != EventType.NODE_ENTERED:
            fields = ", ".join(f"{k}={v}" for k, v in e["payload"].items())
            out.append(f"  {e['type']}: {fields}")
    for a in data["analyses"]:
        out += ["", f"analysis ({a['method']}): type {a['call_type'] or '-'}"]
        out += [f"  summary: {a['summary'] or '-'}", f"  sentiment: {a['sentiment']}"]
        out += [f"  {k}: {v}" for k, v in a["fields"].items()]
        out += [f"  meeting {k}: {v}" for k, v in (a["meeting"] or {}).items()]
        if a["error"]:
            out.append(f"  error: {a['error']}")
    for lead in data["leads"]:
        out += [
            "",
            f"lead {lead['contact_key']}: score {lead['score']} priority {lead['priority']} "
            f"status {lead['status']}",
        ]
    if data["notifications"]:
        out += ["", "notifications:"]
    for n in data["notifications"]:
        error = f"  last error: {n['last_error']}" if n["last_error"] else ""
        out.append(
            f"  {n['channel']} -> {n['target']}: {n['status']} after {n['attempts']} attempt(s)"
            f"{error}"
        )
    for r in data["recordings"]:
        out += ["", f"recording: {r['uri']} ({r['format']}, expires {r['expires_at']:%Y-%m-%d})"]
    out += ["", f"cost: ${data['cost_usd']:.4f}"]
    for u in data["usage"]:
        amounts = [
            f"{u['tokens_in']} tokens in, {u['tokens_out']} out" if u["tokens_in"] else "",
            f"{u['audio_seconds']:.1f}s audio" if u["audio_seconds"] else "",
            f"{u['characters']} characters" if u["characters"] else "",
        ]
        out.append(
            f"  {u['kind']} {u['provider']}/{u['model']}: "
            f"{', '.join(a for a in amounts if a) or '-'}  ${u['cost_usd']:.4f}"
        )
    return "\n".join(out)

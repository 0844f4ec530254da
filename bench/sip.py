"""Phone calls through livekit-sip beside the same flow over WebRTC, in one run.

Usage: ``uv run python bench/sip.py [--runs 3]``

One local stack with phone calls on (livekit-server, Redis, livekit-sip, the dispatcher
and the worker; the SIP service provisioned by ``frontdesk sip sync``). Each run places
two calls to crumb-and-co, alternating which goes first:

- ``sip``: a real SIP phone (PJSUA2, :mod:`tests.sip_phone`) dials the bakery's number
  and speaks the demo's booking;
- ``webrtc``: the demo's simulated caller joins a dispatched room as a LiveKit
  participant and speaks the same booking.

Voice-to-voice latency is the end of the caller's speech to the first agent audio the
caller receives, per caller turn, measured where the caller is (for SIP: at the phone,
so it includes livekit-sip's transcoding and both jitter buffers). Call setup is the
INVITE leaving the phone to the first voiced audio of the greeting reaching it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.config import Settings
from agent.demo.call import _converse, run_demo_call
from agent.demo.report import DemoReport, percentile
from agent.demo.script import BOOKING_SCRIPT
from agent.stack import LocalStack
from tests.sip_caller import phone_call, phone_stack, sip_uri
from tests.sip_phone import SipPhone

TENANT, NUMBER = "crumb-and-co", "+442071234567"


async def sip_call(
    stack: LocalStack, settings: Settings, phone: SipPhone, run: int
) -> tuple[DemoReport, float | None]:
    """One booking by phone: its report, and INVITE -> first word of the greeting (s)."""
    caller_number = f"+1555000{run:04d}"
    uri = sip_uri(stack, NUMBER)
    async with phone_call(
        phone, settings, uri=uri, caller_number=caller_number, tenant=TENANT
    ) as call:
        if not call.room:
            raise SystemExit(f"the phone call was not answered: {call.outcome}")
        report = DemoReport(room=call.room)
        t0 = call.outcome.invite_at
        await _converse(call.caller, report, BOOKING_SCRIPT, lambda _t: None, t0)
        try:
            await asyncio.wait_for(call.outcome.ended.wait(), 30)
            report.hung_up = True
        except TimeoutError:
            report.hung_up = False
        first = min((h.start for h in call.caller.heard), default=None)
    return report, (first - t0) if first is not None else None


async def main(runs: int) -> None:
    sip_lat: list[float] = []
    web_lat: list[float] = []
    setups: list[float] = []
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-sip-") as root:
        async with phone_stack(Path(root)) as (stack, settings):
            phone = SipPhone()
            await phone.start()
            try:
                for run in range(runs):
                    order = ("sip", "webrtc") if run % 2 == 0 else ("webrtc", "sip")
                    for kind in order:
                        started = time.monotonic()
                        if kind == "sip":
                            report, setup = await sip_call(stack, settings, phone, run)
                            sip_lat += report.latencies
                            if setup is not None:
                                setups.append(setup * 1000)
                        else:
                            report = await run_demo_call(settings, stack.url, tenant=TENANT)
                            web_lat += report.latencies
                        summary = report.to_json()["latency_ms"]
                        print(
                            f"run {run + 1} {kind:>6}: ok={report.ok} hung_up={report.hung_up}"
                            f" turns={summary} ({time.monotonic() - started:.0f}s)",
                            flush=True,
                        )
            finally:
                await phone.close()
    print()
    for name, values in (("sip", sip_lat), ("webrtc", web_lat)):
        if values:
            print(
                f"{name:>6} voice-to-voice: n={len(values)} p50 {percentile(values, 50):.0f} ms"
                f"  p95 {percentile(values, 95):.0f} ms  max {max(values):.0f} ms"
            )
    if setups:
        print(
            f"call setup (INVITE -> first word of the greeting): n={len(setups)} "
            f"median {statistics.median(setups):.0f} ms, max {max(setups):.0f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="calls of each kind")
    args = parser.parse_args()
    asyncio.run(main(args.runs))

"""Cold transfer of a phone call: a handoff node's ``transfer_to``.

livekit-sip sends the caller's side a SIP REFER (``TransferSIPParticipant``) to
``sip:<number>@FRONTDESK_SIP_TRANSFER_HOST`` (or ``tel:<number>``), and waits for the
caller's side to report how its call to that number went (NOTIFY): answered, and
livekit-sip hangs up its own leg; or refused (busy, declined, no answer), and the
caller stays in the room. Either way the flow gets a
:class:`~agent.flow.actions.TransferResult`.
"""

from __future__ import annotations

import logging

import aiohttp
from livekit import api, rtc

from ..config import Settings
from ..flow.actions import TransferResult

logger = logging.getLogger("frontdesk.sip")

EXTRA_WAIT_S = 15.0  # the request outlives the ring window by this much


def transfer_uri(settings: Settings, number: str) -> str:
    """Where the caller is referred: the provider's SIP domain, else a tel: URI."""
    host = settings.sip_transfer_host
    return f"sip:{number}@{host}" if host else f"tel:{number}"


def phone_participant(room: rtc.Room) -> rtc.RemoteParticipant | None:
    """The room's phone caller (livekit-sip's participant), if any."""
    return next(
        (
            p
            for p in room.remote_participants.values()
            if p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
        ),
        None,
    )


async def transfer_caller(
    lkapi: api.LiveKitAPI, settings: Settings, room: rtc.Room, number: str
) -> TransferResult:
    """Transfer ``room``'s phone caller to ``number`` (E.164); returns once the other
    phone answered (ok) or the transfer failed (with the SIP status when there is one).
    Never raises for a failed transfer: the flow tells the caller."""
    caller = phone_participant(room)
    if caller is None:
        return TransferResult(ok=False, reason="no phone caller in the room")
    return await transfer_participant(
        lkapi, settings, room.name, caller.identity, transfer_uri(settings, number)
    )


async def transfer_participant(
    lkapi: api.LiveKitAPI, settings: Settings, room: str, identity: str, to: str
) -> TransferResult:
    """Refer the SIP participant ``identity`` of ``room`` to the URI ``to`` (``sip:`` or
    ``tel:``); how it went, never raising for a failed transfer."""
    request = api.TransferSIPParticipantRequest(
        room_name=room,
        participant_identity=identity,
        transfer_to=to,
        play_dialtone=False,
    )
    request.ringing_timeout.FromSeconds(int(settings.sip_ring_timeout_s))
    timeout = settings.sip_ring_timeout_s + EXTRA_WAIT_S
    try:
        await lkapi.sip.transfer_sip_participant(request, timeout=timeout)
    except api.SipCallError as e:
        reason = e.sip_transfer_reason or e.sip_status or e.message
        return TransferResult(ok=False, sip_status=e.sip_status_code, reason=reason)
    except api.TwirpError as e:
        return TransferResult(ok=False, reason=f"{e.code}: {e.message}")
    except (aiohttp.ClientError, TimeoutError) as e:
        logger.warning("transfer request failed", extra={"error": repr(e)})
        return TransferResult(ok=False, reason=f"LiveKit did not answer: {e!r}")
    return TransferResult(ok=True)

"""Web visits and what a campaign brought in: visits (widget token requests), calls, leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import Call, Lead, WebVisit


@dataclass(frozen=True)
class CampaignStats:
    tenant: str
    campaign: str
    visits: int  # token requests: a visitor pressed "call"
    calls: int  # calls the agent took in a room of the campaign
    completed_calls: int
    leads: int  # leads whose latest call came through the campaign

    def as_dict(self) -> dict[str, object]:
        return {
            "tenant": self.tenant,
            "campaign": self.campaign,
            "visits": self.visits,
            "calls": self.calls,
            "completed_calls": self.completed_calls,
            "leads": self.leads,
        }


async def record_visit(
    s: AsyncSession, *, tenant: str, campaign: str, room: str, at: datetime
) -> None:
    s.add(WebVisit(tenant=tenant, campaign=campaign, room=room, at=at))


async def campaign_stats(
    s: AsyncSession, tenant: str, campaign: str, *, since: datetime | None = None
) -> CampaignStats:
    visits = select(func.count()).where(WebVisit.tenant == tenant, WebVisit.campaign == campaign)
    calls = select(func.count()).where(Call.tenant == tenant, Call.campaign == campaign)
    leads = select(func.count()).where(Lead.tenant == tenant, Lead.campaign == campaign)
    if since is not None:
        visits = visits.where(WebVisit.at >= since)
        calls = calls.where(Call.started_at >= since)
        leads = leads.where(Lead.updated_at >= since)
    completed = calls.where(Call.status == "completed")
    return CampaignStats(
        tenant=tenant,
        campaign=campaign,
        visits=int(await s.scalar(visits) or 0),
        calls=int(await s.scalar(calls) or 0),
        completed_calls=int(await s.scalar(completed) or 0),
        leads=int(await s.scalar(leads) or 0),
    )

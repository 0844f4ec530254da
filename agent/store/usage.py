"""Usage per call (tokens, audio seconds, characters) priced from the price table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, RootModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import FileError
from ..yamlfile import parse_model, read_source
from ._dialect import insert_for
from .tables import Usage

SHIPPED_PRICES = Path(__file__).resolve().parent / "prices.yaml"


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    audio_per_min: float = 0.0
    chars_per_mchar: float = 0.0


class PriceTable(RootModel[dict[str, Price]]):
    def price(self, provider: str, model: str) -> Price:
        """The price of provider/model, else of provider/*, else zero (case-insensitive:
        plugins report names such as "Deepgram" or "eSpeak NG")."""
        table = {k.lower(): v for k, v in self.root.items()}
        provider, model = provider.lower(), model.lower()
        return table.get(f"{provider}/{model}") or table.get(f"{provider}/*") or Price()


@cache
def load_prices(path: Path | None = None) -> PriceTable:
    path = path or SHIPPED_PRICES
    text = read_source(path, error=FileError, what="price table")
    table, _ = parse_model(
        text, str(path), PriceTable, error=FileError, expected="a mapping of provider/model"
    )
    return table


@dataclass(frozen=True, kw_only=True)
class NewUsage:
    kind: str  # stt | tts | llm
    provider: str
    model: str
    at: datetime
    tokens_in: int = 0
    tokens_out: int = 0
    audio_seconds: float = 0.0
    characters: int = 0

    def cost(self, prices: PriceTable) -> float:
        p = prices.price(self.provider, self.model)
        return (
            self.tokens_in * p.input_per_mtok / 1e6
            + self.tokens_out * p.output_per_mtok / 1e6
            + self.audio_seconds / 60 * p.audio_per_min
            + self.characters * p.chars_per_mchar / 1e6
        )


async def add_usage(
    s: AsyncSession, call_id: str, tenant: str, usage: NewUsage, prices: PriceTable
) -> None:
    """Store a model's usage for the call (its session totals): a second write replaces it."""
    values = {
        "call_id": call_id,
        "tenant": tenant,
        "kind": usage.kind,
        "provider": usage.provider,
        "model": usage.model,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "audio_seconds": usage.audio_seconds,
        "characters": usage.characters,
        "cost_usd": usage.cost(prices),
        "at": usage.at,
    }
    stmt = insert_for(s, Usage).values(**values)
    counts = ("tokens_in", "tokens_out", "audio_seconds", "characters", "cost_usd", "at")
    await s.execute(
        stmt.on_conflict_do_update(
            index_elements=["call_id", "kind", "provider", "model"],
            set_={k: stmt.excluded[k] for k in counts},
        )
    )


async def usage_for_call(s: AsyncSession, call_id: str) -> Sequence[Usage]:
    return (await s.scalars(select(Usage).where(Usage.call_id == call_id).order_by(Usage.id))).all()


async def tenant_spend(s: AsyncSession, tenant: str, since: datetime) -> float:
    """What ``tenant``'s calls cost since ``since`` (USD, the usage rows' priced totals)."""
    stmt = select(func.coalesce(func.sum(Usage.cost_usd), 0.0)).where(
        Usage.tenant == tenant, Usage.at >= since
    )
    return float((await s.execute(stmt)).scalar_one())


async def tenant_usage(s: AsyncSession, tenant: str, since: datetime) -> Sequence[Usage]:
    """Every usage row of ``tenant`` since ``since``."""
    stmt = select(Usage).where(Usage.tenant == tenant, Usage.at >= since).order_by(Usage.id)
    return (await s.scalars(stmt)).all()


def total_cost(rows: Sequence[Usage]) -> float:
    return sum(r.cost_usd for r in rows)


def usage_summary(rows: Sequence[Usage]) -> Mapping[str, float]:
    out: dict[str, float] = {}
    for r in rows:
        key = f"{r.kind}:{r.provider}/{r.model}"
        out[key] = out.get(key, 0.0) + r.cost_usd
    return out

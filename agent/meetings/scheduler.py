"""The dispatcher's meeting scheduler: APScheduler 3, its jobs in the store's database.
It also fires the scheduled phone calls (:mod:`agent.sip.scheduled`, ``call:<id>`` jobs):
one scheduler, one leader, for both.

Jobs live in ``apscheduler_jobs`` (``SQLAlchemyJobStore``, created by the migrations),
so a restarted dispatcher still has every meeting's jobs; a job whose time passed while
no dispatcher ran fires when one is back (``misfire_grace_time=None``, coalesced).

**One replica fires.** APScheduler 3 has no coordination between schedulers sharing a
job store, so each replica runs its scheduler *paused* (it can add and remove jobs, it
fires none) until it holds a Postgres session-level advisory lock, taken with
``pg_try_advisory_lock`` on a connection of its own. The holder resumes its scheduler;
when it dies Postgres drops its connection and the lock, and a standby takes over
within ``FRONTDESK_MEETING_POLL`` seconds and fires what is due. The leader also wakes
every poll to see jobs that other replicas added. On SQLite (one host) the process is
the leader. Firing twice is harmless anyway: each action is a compare-and-set on the
meeting's status or an outbox row with an idempotency key (:mod:`.runner`), which
covers a dispatcher killed between firing a job and deleting it.

The scheduler runs in its own thread (the job store is synchronous SQLAlchemy, on
psycopg or sqlite3), so the event loop never waits for it; jobs are handed back to the
loop by :mod:`.jobs`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from ..config import Settings
from ..store import Store
from ..store.tables import Meeting
from . import jobs
from .runner import Action, MeetingRunner

logger = logging.getLogger("frontdesk.meetings")

LOCK_KEY = 0x46524F4E54  # "FRONT": the meeting scheduler's advisory lock
ACTIONS: tuple[Action, ...] = ("remind", "join", "no_show", "complete")
JOIN_RETRY_S = 5.0  # after LiveKit refused or did not answer a join


def sync_url(url: URL) -> URL:
    """The store's async URL with a synchronous driver, for APScheduler's job store."""
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    query = dict(url.query)
    ssl = query.pop("ssl", None)
    if ssl is not None:
        query["sslmode"] = ssl
    return url.set(drivername="postgresql+psycopg", query=query)


def fire_times(settings: Settings, meeting: Meeting) -> dict[Action, datetime]:
    start = meeting.starts_at
    return {
        "remind": start - timedelta(minutes=settings.meeting_reminder_min),
        "join": start - timedelta(seconds=settings.meeting_join_lead_s),
        "no_show": start + timedelta(seconds=settings.meeting_no_show_s),
        "complete": start + timedelta(minutes=meeting.duration_min),
    }


def job_id(meeting_id: str, action: Action) -> str:
    return f"meeting:{meeting_id}:{action}"


def retry_id(meeting_id: str) -> str:
    return f"meeting:{meeting_id}:join-retry"


def call_job_id(call_id: str, at: datetime) -> str:
    """A scheduled call's job, one per ring time: a call moved while its old job is being
    fired gets a new job, never one the scheduler is about to delete."""
    return f"call:{call_id}@{int(at.timestamp())}"


class MeetingScheduler:
    def __init__(self, settings: Settings, store: Store, runner: MeetingRunner) -> None:
        self.settings = settings
        self.store = store
        self.runner = runner
        runner.retry_join = self._retry_join
        self._engine: Engine = create_engine(sync_url(store.engine.url), pool_pre_ping=True)
        self.scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self._engine),
                "local": MemoryJobStore(),
            },
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self.leader = asyncio.Event()
        self.calls: jobs.CallJobs | None = None  # set before start: scheduled phone calls
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        jobs.register(asyncio.get_running_loop(), self.runner, self.calls)
        # the poll: wakes the leader to see jobs that other replicas added
        self.scheduler.add_job(
            _wake, "interval", seconds=self.settings.meeting_poll_s, jobstore="local", id="wake"
        )
        await asyncio.to_thread(self.scheduler.start, paused=True)
        self._task = asyncio.create_task(self._lead(), name="meeting-scheduler-leader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.to_thread(self.scheduler.shutdown, wait=False)
        jobs.register(asyncio.get_running_loop(), None)
        await asyncio.to_thread(self._engine.dispose)

    async def plan(self, meeting: Meeting) -> None:
        """(Re)place the meeting's jobs for its current time and sequence."""
        await asyncio.to_thread(self._plan, meeting)

    def _plan(self, meeting: Meeting) -> None:
        for action, at in fire_times(self.settings, meeting).items():
            self.scheduler.add_job(
                jobs.fire,
                DateTrigger(run_date=at),
                args=[meeting.id, action, meeting.sequence],
                id=job_id(meeting.id, action),
                replace_existing=True,
                jobstore="default",
            )

    async def _retry_join(self, meeting: Meeting) -> None:
        """Another try at the join in JOIN_RETRY_S, until the meeting's end."""
        at = datetime.now(UTC) + timedelta(seconds=JOIN_RETRY_S)
        if at >= fire_times(self.settings, meeting)["complete"]:
            logger.error("meeting never joined", extra={"meeting": meeting.id})
            return
        await asyncio.to_thread(
            self.scheduler.add_job,
            jobs.fire,
            DateTrigger(run_date=at),
            args=[meeting.id, "join", meeting.sequence],
            id=retry_id(meeting.id),
            replace_existing=True,
            jobstore="default",
        )

    async def unplan(self, meeting_id: str) -> None:
        await asyncio.to_thread(self._unplan, meeting_id)

    def _unplan(self, meeting_id: str) -> None:
        for job in (*(job_id(meeting_id, a) for a in ACTIONS), retry_id(meeting_id)):
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(job, jobstore="default")

    async def plan_call(self, call_id: str, at: datetime) -> None:
        """(Re)place a scheduled phone call's job (see :mod:`agent.sip.scheduled`)."""
        await asyncio.to_thread(
            self.scheduler.add_job,
            jobs.fire_call,
            DateTrigger(run_date=at),
            args=[call_id],
            id=call_job_id(call_id, at),
            replace_existing=True,
            jobstore="default",
        )

    async def unplan_call(self, call_id: str, at: datetime) -> None:
        await asyncio.to_thread(self._remove, call_job_id(call_id, at))

    def _remove(self, job: str) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job, jobstore="default")

    async def _lead(self) -> None:
        if self.store.dialect != "postgresql":
            self._resume()
            return
        while True:
            try:
                async with self.store.engine.connect() as conn:
                    auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    if await _try_lock(auto):
                        self._resume()
                        await _hold(auto, self.settings.meeting_poll_s)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the lock's connection broke: stand by again
                logger.warning("meeting scheduler lost its lock", extra={"error": repr(e)})
            if self.leader.is_set():
                self.scheduler.pause()
                self.leader.clear()
            await asyncio.sleep(self.settings.meeting_poll_s)

    def _resume(self) -> None:
        self.scheduler.resume()
        self.leader.set()
        logger.info("meeting scheduler is the leader")


def _wake() -> None:
    """Nothing: running it makes the scheduler look at its job store again."""


async def _try_lock(conn: AsyncConnection) -> bool:
    got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
    return bool(got)


async def _hold(conn: AsyncConnection, every_s: float) -> None:
    """Keep the lock's connection alive; raises when it breaks."""
    while True:
        await asyncio.sleep(every_s)
        await conn.scalar(text("SELECT 1"))

"""The jobs inside `supportbot serve`: refresh the index (then whatever follows a refresh: fix notices), and
purge what is past retention (APScheduler 3, one run of each at a time, never fatal)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import BotError
from bot.leader import Leader
from bot.refresh import RefreshBusy, RefreshReport
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

JOB_ID = "supportbot-refresh"
LEADER_JOB_ID = "supportbot-leader"
PURGE_JOB_ID = "supportbot-purge"
PURGE_INTERVAL_SECONDS = 3600
MISFIRE_GRACE_SECONDS = 60
AfterRefresh = Callable[[RefreshReport], object]  # run after each refresh this process made (e.g. fix notices)


class Refreshing(Protocol):
    """What the job needs of a refresher (`bot.refresh.Refresher` provides it)."""

    def refresh(self, progress: Any = None) -> RefreshReport: ...


def refresh_trigger(settings: Settings) -> BaseTrigger | None:
    """The cron trigger when `refresh_cron` is set, else the interval; None when both are off."""
    if settings.refresh_cron:
        try:
            return CronTrigger.from_crontab(settings.refresh_cron)
        except ValueError as err:
            raise BotError(
                f"SUPPORTBOT_REFRESH_CRON {settings.refresh_cron!r} is not a valid crontab line "
                f"({err}); use five fields: minute hour day month weekday."
            ) from err
    if settings.refresh_interval_seconds > 0:
        return IntervalTrigger(seconds=settings.refresh_interval_seconds)
    return None


def schedule_refresh(
    scheduler: BackgroundScheduler,
    settings: Settings,
    refresher: Refreshing,
    run_now: bool = False,
    after: AfterRefresh | None = None,
) -> Job | None:
    """Register the refresh job (one instance at a time, missed runs coalesced); None when refresh is off."""
    trigger = refresh_trigger(settings)
    if trigger is None:
        log.info("scheduled refresh is off (refresh_interval_seconds=0 and no refresh_cron)")
        return None
    first: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if run_now else {}
    return scheduler.add_job(
        run_refresh,
        trigger,
        args=[refresher, after],
        id=JOB_ID,
        name="refresh the knowledge index",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        replace_existing=True,
        **first,
    )


def start_refresh_scheduler(
    settings: Settings, refresher: Refreshing, after: AfterRefresh | None = None
) -> BackgroundScheduler:
    """Start a background scheduler whose job refreshes now and then on the configured schedule (calling `after`
    with each report).

    `serve` calls this once the engine is warm and calls `scheduler.shutdown()` on the way out.
    """
    scheduler = BackgroundScheduler(daemon=True, job_defaults={"max_instances": 1, "coalesce": True})
    leader: Leader | None = getattr(refresher, "leader", None)
    if leader is not None and refresh_trigger(settings) is not None:
        schedule_campaign(scheduler, leader, refresher)
    schedule_refresh(scheduler, settings, refresher, run_now=True, after=after)
    store: Store | None = getattr(refresher, "store", None)
    if store is not None:
        schedule_purge(scheduler, settings, store)
    scheduler.start()
    return scheduler


def refresh_soon(scheduler: BackgroundScheduler) -> bool:
    """Run the refresh job now instead of at its next time (as usual, only a leader refreshes); False when the
    scheduled refresh is off."""
    job = scheduler.get_job(JOB_ID)
    if job is None:
        return False
    job.modify(next_run_time=datetime.now(UTC))
    return True


def schedule_campaign(scheduler: BackgroundScheduler, leader: Leader, refresher: Refreshing | None = None) -> Job:
    """Take or renew the refresher lease now and three times per lease; give it up when the scheduler stops, and
    while this replica's refresh is running past its time limit (another replica may then refresh)."""
    scheduler.add_listener(lambda _event: leader.resign(), EVENT_SCHEDULER_SHUTDOWN)

    def campaign() -> None:
        overdue = getattr(refresher, "overdue", None)
        if overdue is not None and overdue():
            log.warning("refresh status=overdue: giving up the refresher lease until it ends")
            leader.resign()
        else:
            leader.campaign()

    return every(scheduler, leader.renew_seconds, campaign, LEADER_JOB_ID, "hold the refresher lease")


def schedule_purge(scheduler: BackgroundScheduler, settings: Settings, store: Store) -> Job | None:
    """Purge records older than `retention_days` now and every hour; None when retention is off (0 days)."""
    if settings.retention_days <= 0:
        return None
    args = (store, settings.retention_days)
    return every(scheduler, PURGE_INTERVAL_SECONDS, run_purge, PURGE_JOB_ID, "purge records past retention", args)


def every(
    scheduler: BackgroundScheduler, seconds: float, call: Any, job_id: str, name: str, args: tuple[Any, ...] = ()
) -> Job:
    """A job that runs `call(*args)` now and then every `seconds`, one run at a time."""
    return scheduler.add_job(
        call,
        IntervalTrigger(seconds=seconds),
        args=args,
        id=job_id,
        name=name,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )


def run_purge(store: Store, days: int) -> dict[str, int] | None:
    """One purge: logs what it deleted and never raises (every replica runs it; deleting twice is harmless)."""
    try:
        counts = store.purge(time.time() - days * 86400)
    except Exception:  # noqa: BLE001 - a failed purge is logged; the next one may succeed
        log.exception("purge status=error")
        return None
    log.info("purge status=ok retention_days=%s %s", days, " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


def run_refresh(refresher: Refreshing, after: AfterRefresh | None = None) -> RefreshReport | None:
    """One scheduled run: logs one structured line, hands the report to `after`, and never raises (the scheduler
    must keep going).

    With several replicas on one store only the leader refreshes; the others skip the run. The configured
    issue-tracker sources (`settings.sources`) are synced first, by the leader only.
    """
    name = getattr(getattr(refresher, "index", None), "name", "?")
    leader: Leader | None = getattr(refresher, "leader", None)
    if leader is not None and not (leader.is_leader or leader.campaign()):
        log.info("refresh index=%s status=skipped reason=not-leader", name)
        return None
    settings: Settings | None = getattr(refresher, "settings", None)
    if settings is not None and settings.sources:
        from bot.sources import sync_sources  # tracker clients load only when sources are configured

        sync_sources(settings)  # never raises; a failed source keeps its last good entries
    try:
        report = refresher.refresh()
    except RefreshBusy:
        log.info("refresh index=%s status=skipped reason=busy", name)
        return None
    except Exception as err:  # noqa: BLE001 - a failed run is logged; the next one may succeed
        reason = err.message if isinstance(err, BotError) else type(err).__name__
        log.exception("refresh index=%s status=error reason=%r", name, reason)
        return None
    log.info("refresh index=%s status=ok %s", name, log_fields(report))
    if after is not None:
        try:
            after(report)
        except Exception:  # noqa: BLE001 - what follows a refresh never stops the scheduler
            log.exception("after refresh index=%s status=error", name)
    return report


def log_fields(report: RefreshReport) -> str:
    """The report as key=value pairs (failures counted, not listed)."""
    fields = {k: v for k, v in report.as_dict().items() if k != "embedded"}
    fields["failed"], fields["changes"] = len(report.failed), len(report.changes)
    return " ".join(f"{k}={v}" for k, v in fields.items())

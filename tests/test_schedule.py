"""The scheduled jobs: the refresh (registration, one log line per run, errors and overlaps never stop it) and
the retention purge."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import BotError
from bot.refresh import RefreshBusy, Refresher, RefreshReport, build_refresher
from bot.schedule import (
    JOB_ID,
    PURGE_JOB_ID,
    refresh_trigger,
    run_purge,
    run_refresh,
    schedule_purge,
    schedule_refresh,
    start_refresh_scheduler,
)
from bot.settings import Settings
from bot.store import AnswerRecord, Store
from tests.support import SAMPLE_BUGS, write_bug

WAIT = 60.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    for bug_id, (title, tags, symptoms, resolution, _) in SAMPLE_BUGS.items():
        write_bug(tmp_path / "knowledge", bug_id, title, tags, symptoms, resolution)  # text only: no OCR needed
    return Settings(knowledge_dir=tmp_path / "knowledge", data_dir=tmp_path / "data", refresh_interval_seconds=3600)


@pytest.fixture
def refresher(settings: Settings, shared_models: dict) -> Refresher:
    return build_refresher(settings, shared_models["embedder"], shared_models["extractor"])


class Scripted:
    """A refresher stand-in whose runs fail, block or succeed as told (the real one is tested above)."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.running = 0
        self.most_running = 0
        self.release = threading.Event()

    def refresh(self, progress: object = None) -> RefreshReport:
        self.calls += 1
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            outcome = self.outcomes.pop(0) if self.outcomes else RefreshReport(version=1)
            if outcome == "block":
                self.release.wait(WAIT)
                return RefreshReport(version=1)
            if isinstance(outcome, Exception):
                raise outcome
            assert isinstance(outcome, RefreshReport)
            return outcome
        finally:
            self.running -= 1


def test_trigger_from_interval_or_cron(settings: Settings) -> None:
    interval = refresh_trigger(settings)
    assert isinstance(interval, IntervalTrigger) and interval.interval.total_seconds() == 3600
    cron = refresh_trigger(settings.model_copy(update={"refresh_cron": "*/10 6-18 * * mon-fri"}))
    assert isinstance(cron, CronTrigger) and "*/10" in str(cron)
    assert refresh_trigger(settings.model_copy(update={"refresh_interval_seconds": 0})) is None
    with pytest.raises(BotError, match="five fields"):
        refresh_trigger(settings.model_copy(update={"refresh_cron": "every day"}))


def test_job_runs_one_at_a_time_and_coalesces(settings: Settings, refresher: Refresher) -> None:
    scheduler = BackgroundScheduler()
    job = schedule_refresh(scheduler, settings, refresher)
    assert job is not None and job.id == JOB_ID
    assert job.max_instances == 1 and job.coalesce is True and job.args == (refresher, None)
    assert (
        schedule_refresh(BackgroundScheduler(), settings.model_copy(update={"refresh_interval_seconds": 0}), refresher)
        is None
    )


def test_a_run_logs_one_structured_line(refresher: Refresher, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.schedule"):
        report = run_refresh(refresher)
    assert report is not None and report.added == len(SAMPLE_BUGS)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.schedule"]
    assert len(lines) == 1
    fields = dict(part.split("=", 1) for part in lines[0].split()[1:])
    assert fields["status"] == "ok" and fields["added"] == str(len(SAMPLE_BUGS)) and fields["failed"] == "0"
    assert fields["version"] == str(report.version) and {"updated", "deleted", "unchanged", "seconds"} <= set(fields)


def run_soon(scheduler: BackgroundScheduler, job: Job) -> None:
    """Make the job due now (as if its interval had passed)."""
    job.modify(next_run_time=datetime.now(UTC))
    scheduler.wakeup()


def finished_runs(scheduler: BackgroundScheduler) -> threading.Semaphore:
    """Released once per finished run (after the scheduler has counted it as no longer running)."""
    finished = threading.Semaphore(0)
    scheduler.add_listener(lambda event: finished.release(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    return finished


def test_busy_and_failing_runs_are_logged_and_the_scheduler_goes_on(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    scripted = Scripted(RefreshBusy(), RuntimeError("disk on fire"), RefreshReport(added=1, version=3))
    scheduler = BackgroundScheduler()
    finished = finished_runs(scheduler)
    job = schedule_refresh(scheduler, settings, scripted)
    assert job is not None
    with caplog.at_level(logging.INFO, logger="bot.schedule"):
        scheduler.start()
        try:
            for _ in range(3):
                run_soon(scheduler, job)
                assert finished.acquire(timeout=WAIT)
        finally:
            scheduler.shutdown(wait=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.schedule"]
    assert [line.split()[2] for line in lines] == ["status=skipped", "status=error", "status=ok"]
    assert "RuntimeError" in lines[1] and "added=1" in lines[2]


def test_a_slow_run_is_never_overlapped(settings: Settings) -> None:
    scripted = Scripted("block")
    scheduler = BackgroundScheduler()
    refused = threading.Event()
    scheduler.add_listener(lambda event: refused.set(), EVENT_JOB_MAX_INSTANCES)
    finished = finished_runs(scheduler)
    job = schedule_refresh(scheduler, settings, scripted, run_now=True)
    assert job is not None
    scheduler.start()
    try:
        while scripted.running == 0:
            threading.Event().wait(0.05)
        run_soon(scheduler, job)
        assert refused.wait(WAIT), "the second run was refused while the first one ran"
        scripted.release.set()
        assert finished.acquire(timeout=WAIT)
    finally:
        scripted.release.set()
        scheduler.shutdown(wait=True)
    assert scripted.most_running == 1 and scripted.calls == 1


def test_start_refresh_scheduler_refreshes_at_once(settings: Settings, refresher: Refresher) -> None:
    scheduler = start_refresh_scheduler(settings, refresher)
    try:
        assert scheduler.running and scheduler.get_job(JOB_ID) is not None
        for _ in range(int(WAIT / 0.1)):
            if refresher.index.exists():
                break
            threading.Event().wait(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert refresher.index.exists(), "the first refresh runs at start, not after the interval"


def test_the_purge_runs_at_start_and_keeps_what_is_within_retention(
    settings: Settings, refresher: Refresher, caplog: pytest.LogCaptureFixture
) -> None:
    store = refresher.store
    assert store is not None
    store.record_answer(AnswerRecord("old", "message", "C1", "U1", "no_match", created=time.time() - 91 * 86400))
    store.record_answer(AnswerRecord("new", "message", "C1", "U1", "no_match", created=time.time() - 89 * 86400))
    caplog.set_level(logging.INFO, logger="bot.schedule")
    scheduler = start_refresh_scheduler(settings, refresher)
    try:
        assert scheduler.get_job(PURGE_JOB_ID) is not None
        for _ in range(int(WAIT / 0.1)):
            if store.answer("old") is None:
                break
            threading.Event().wait(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert store.answer("old") is None and store.answer("new") is not None
    assert "purge status=ok retention_days=90 answers=1 feedback=0 reports=0 changes=0 claims=0" in caplog.text


def test_retention_zero_keeps_everything_and_a_failed_purge_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(Settings(data_dir=tmp_path))
    assert schedule_purge(BackgroundScheduler(), Settings(retention_days=0), store) is None
    store.close()  # a closed pool reconnects, so break the database itself
    (tmp_path / "state.sqlite3").write_bytes(b"not a database")
    caplog.set_level(logging.INFO, logger="bot.schedule")
    assert run_purge(Store(store.db), 90) is None
    assert "purge status=error" in caplog.text

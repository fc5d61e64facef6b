"""Fix notices: a bug's status or resolution changed, so each thread where it was confirmed or linked hears it once.

A refresh records each change in the store (`bot.store.changes`); `Notices.send` then posts, for every change not
yet noticed, one message in each thread where the bug was reported in the `notice_days` before the change. Each
(change, thread) is a claim in the store — claimed, posted, finished; released when the post failed for a reason
that may pass — so a notice goes out once whichever process sends it, however often, across restarts and
replicas. A change is marked noticed when none of its threads is left to retry.
"""

from __future__ import annotations

import logging
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.blocks import Message, context, escape, section, shown_mrkdwn, truncate
from bot.slack.claims import SlackStore
from bot.slack.delivery import Delivery, slack_problem
from bot.store import BugChange, Report

log = logging.getLogger(__name__)

NEWS = {"fixed": "is now fixed", "workaround": "now has a workaround", "open": "is open again"}
UPDATED = "has an updated resolution"
LINE_CHARS = 300


def first_line(text: str) -> str:
    """The first non-empty line of a resolution, without list or heading marks."""
    for line in text.splitlines():
        line = line.strip().lstrip("#*->0123456789. ").strip()
        if line:
            return line
    return ""


def news(change: BugChange) -> str:
    """ "is now fixed", "now has a workaround", "is open again", or "has an updated resolution"."""
    return NEWS.get(change.new_status, UPDATED) if change.new_status != change.old_status else UPDATED


def notice_message(change: BugChange) -> Message:
    """ "Update: <title> is now fixed — <first line of the resolution>", with the bug's id and why it came."""
    line = first_line(change.new_resolution)
    text = f"Update: {change.title} {news(change)}" + (f" — {truncate(line, LINE_CHARS)}" if line else "")
    head = f"*Update:* *{escape(change.title)}* {news(change)}"
    if line:
        head += f" — {shown_mrkdwn(line, LINE_CHARS)}"
    why = (
        f"`{escape(change.bug_id)}` · {change.old_status} → {change.new_status} · this bug was reported in this thread"
    )
    return Message(text, [section(head), context(why)])


class Notices:
    """Posts the fix notices of recorded bug changes; safe to run from several processes at once."""

    def __init__(self, settings: Settings, client: WebClient, store: SlackStore) -> None:
        self.days = settings.notice_days
        self.stale_seconds = settings.slack_claim_stale_seconds
        self.store = store
        self.delivery = Delivery(settings, client)

    def send(self) -> int:
        """Post every notice still due; the number posted."""
        posted = 0
        for change in self.store.pending_changes(time.time() - self.days * 86400):
            threads = self.store.report_threads(change.bug_id, change.created - self.days * 86400, change.created)
            outcomes = [self.notify(change, thread) for thread in threads]
            posted += outcomes.count("posted")
            if "retry" not in outcomes:
                self.store.mark_noticed(change.id)
        return posted

    def notify(self, change: BugChange, thread: Report) -> str:
        """Post one notice: "posted", "skipped" (another process has it or had it), "gave up" or "retry"."""
        key = f"notice:{change.id}:{thread.channel}:{thread.thread_ts or ''}"
        if not self.store.claim(key, self.stale_seconds):
            return "skipped"
        try:
            self.delivery.post(thread.channel, notice_message(change), thread.thread_ts)
        except Exception as err:  # noqa: BLE001 - a final answer gives up; anything else is tried on the next run
            if final(err):
                self.store.finish(key)
                log.warning("fix notice for %s in %s given up: %s", change.bug_id, thread.channel, slack_problem(err))
                return "gave up"
            self.store.release(key)
            log.warning(
                "fix notice for %s in %s failed, will retry: %s", change.bug_id, thread.channel, slack_problem(err)
            )
            return "retry"
        self.store.finish(key)
        log.info("fix notice for %s posted in %s/%s", change.bug_id, thread.channel, thread.thread_ts)
        return "posted"


def final(err: Exception) -> bool:
    """Slack refused the post for good (the channel is gone, archived, or the bot was removed); rate limits, 5xx
    and dropped connections were already retried by the SDK and may pass by the next run."""
    return isinstance(err, SlackApiError) and err.response.status_code < 500 and err.response.status_code != 429

"""Who may teach the bot with "This fixed it" / "Not it": the person who asked, or a member of the triage group
(who also may resolve escalations; anyone in the triage channel may when no group is set).

Anyone may press the buttons (each press is stored as feedback), but only these presses become learned
examples or negatives, so nobody can steer answers for other people's questions. The triage group is
`slack_triage_group`: user IDs, and user-group IDs (S…) whose members are read with `usergroups.users.list`
(scope `usergroups:read`) and kept for `MEMBERS_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.store import AnswerRecord

log = logging.getLogger(__name__)
MEMBERS_SECONDS = 300.0


class Teachers:
    """Decides whose presses the bot learns from."""

    def __init__(self, settings: Settings, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        ids = [i.strip() for i in (settings.slack_triage_group or "").split(",") if i.strip()]
        self.users = {i for i in ids if not i.startswith("S")}
        self.groups = [i for i in ids if i.startswith("S")]
        self.client = client
        self.clock = clock
        self._members: set[str] = set()
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def may_teach(self, user: str, record: AnswerRecord) -> bool:
        """True for the asker's own press, or a triager's."""
        return user == record.user or user in self.users or user in self.group_members()

    def may_triage(self, user: str) -> bool:
        """Who may resolve an escalation (link it, file a new bug): anyone in the triage channel when no triage
        group is set, else its members."""
        return not (self.users or self.groups) or user in self.users or user in self.group_members()

    def group_members(self) -> set[str]:
        """The members of the configured user groups (re-read every `MEMBERS_SECONDS`; the last known on error)."""
        if not self.groups:
            return set()
        with self._lock:
            if self._read_at is None or self.clock() - self._read_at >= MEMBERS_SECONDS:
                self._members = self._read_members()
                self._read_at = self.clock()
            return self._members

    def _read_members(self) -> set[str]:
        members: set[str] = set()
        for group in self.groups:
            try:
                members |= set(self.client.usergroups_users_list(usergroup=group).get("users") or ())
            except SlackApiError as err:
                log.warning("cannot read the members of user group %s: %s", group, err.response.get("error"))
                return self._members
        return members

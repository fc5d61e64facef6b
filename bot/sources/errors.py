"""Errors of a tracker sync; each message says what happened and that the knowledge files were kept."""

from bot.errors import BotError


class SourceError(BotError):
    """A sync could not finish; nothing in the knowledge folder was changed."""

    message = "The issue tracker could not be read; the knowledge files were left as they were."


class SourceUnreachable(SourceError):
    """The tracker (or one of its file hosts) could not be reached, or kept answering with errors."""


class SourceRefused(SourceError):
    """The tracker refused the credentials or does not know the repository, project or query."""


class SourceBusy(SourceError):
    """Another sync of the same source into the same folder is running."""

    message = "Another sync of this source is running; try again when it has finished."

"""The error tree: every error a user may see derives from `BotError` and carries a safe message."""


class BotError(Exception):
    """Root of supportbot's errors; `message` is one sentence a user may read."""

    message = "Something went wrong; please try again or ask the support team."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class UnsupportedMedia(BotError):
    """A file whose type, size or content cannot be used."""

    message = "That file type is not supported; please send a PNG/JPEG screenshot or a voice clip."


class MediaTooLarge(UnsupportedMedia):
    """A file over the size, pixel or duration limits."""

    message = "That file is too large; please send a smaller screenshot or a shorter voice clip."


class CorruptMedia(UnsupportedMedia):
    """A file that claims a supported type but cannot be decoded."""

    message = "That file could not be read (it looks corrupt or truncated); please send it again."


class ExtractionError(BotError):
    """OCR or speech recognition failed on a decoded input."""

    message = "The text in that file could not be read; please add a short description instead."


class EmptyQuery(BotError):
    """Nothing usable was sent: no text and no readable file."""

    message = "There was nothing to search for; please send a screenshot, a voice note or a few words."


class KnowledgeError(BotError):
    """A knowledge-base entry is malformed; `path` says which."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class IndexNotReady(BotError):
    """The search index is missing, stale or built with another model."""

    message = "The knowledge index is not ready; run `supportbot index` and try again."


class ModelError(BotError):
    """A configured model cannot be loaded."""

    message = "A configured model could not be loaded; run `supportbot doctor` to see which."

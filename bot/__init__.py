"""supportbot: match screenshots, voice notes and messages to known bugs."""

__version__ = "0.1.0"

"""The newswire exception tree.

Whether an error is worth retrying is a property of its class (``retriable``), so the
consumer runner and the poller decide without string matching::

    NewswireError                  root; retriable = False
    ├── ConfigError                settings that cannot work
    │   └── PortInUse              a port newswire must listen on is taken (exit code 2)
    ├── TransientError             retriable = True: retried with backoff, never dead-lettered
    │   └── BrokerUnavailable      Kafka did not answer within the outer timeout
    └── PermanentError             the same input fails the same way: dead-lettered
        ├── PoisonEvent            a record that is not a valid event (decode / schema)
        ├── FeedError              a feed could not be turned into items (this poll)
        │   ├── FetchError         the HTTP side (see newswire.fetch.fetcher); timeouts, connect
        │   │                      errors, 429 and 5xx set retriable = True: the feed is
        │   │                      polled again later, it never stops silently
        │   └── FeedParseError     the bytes are not a feed we can read
        └── HandlerError           a stage's handler rejected an event
"""

from __future__ import annotations

import errno


class NewswireError(Exception):
    """Root of every error newswire raises on purpose."""

    retriable: bool = False
    exit_code: int = 1  # what the CLI exits with when this ends a command

    @property
    def reason(self) -> str:
        """A short, bounded label for metrics and DLQ headers (the class name in snake case)."""
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class ConfigError(NewswireError):
    """Settings that cannot work; raised at start-up."""


class PortInUse(ConfigError):
    """A port newswire must listen on is taken: the user's setting to change, exit code 2."""

    exit_code = 2

    @staticmethod
    def why(exc: OSError) -> str:
        """How a bind failure reads in the message: "is taken", or what else it was."""
        return "is taken" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"


class TransientError(NewswireError):
    """May succeed later: retried with backoff, never sent to a dead-letter topic."""

    retriable = True


class BrokerUnavailable(TransientError):
    """Kafka did not answer within an outer timeout."""


class PermanentError(NewswireError):
    """Retrying the same input gives the same failure."""


class PoisonEvent(PermanentError):
    """A record that is not a valid newswire event."""


class FeedError(PermanentError):
    """A feed could not be turned into items."""


class FetchError(FeedError):
    """Fetching a feed failed."""


class FeedParseError(FeedError):
    """The bytes are not a feed newswire can read."""


class HandlerError(PermanentError):
    """A stage's handler rejected an event deterministically."""

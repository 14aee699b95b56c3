"""Why one request came to nothing, as the retriever's loops tell the cases apart.

None of these leaves the package: each becomes a :class:`feeds.errors.FetchError`
whose message ends with ``reason``.
"""

from __future__ import annotations


class AttemptFailed(Exception):
    """The common part: a reason a person can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transient(AttemptFailed):
    """A failure worth another attempt, after ``retry_after`` seconds if the server
    asked for them."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Refused(AttemptFailed):
    """No request may be sent (policy, a name that does not resolve): never retried,
    and it fails the fetch even when met while reading robots.txt."""


class Unusable(AttemptFailed):
    """An answer that cannot be read (its content coding): never retried."""

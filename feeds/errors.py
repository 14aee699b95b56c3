"""The one exception tree of feeds.

    FeedsError
    ├── ConfigError          bad sources.yaml (exit code 2); lists every problem with its location
    ├── LockHeldError        another refresh holds the state lock (exit code 3)
    ├── SourceError          one source, file or page failed (exit code 1; the run goes on)
    │   ├── InputError       a file or page that cannot be read or understood
    │   │   └── ParseError   readable, but no article could be found in it
    │   └── FetchError       HTTP failure: connection, status, size cap, robots, host policy
    ├── StateError           the SQLite state cannot be used
    └── PublishError         a feed document failed validation and was not published

Messages name the file or URL first, then what is wrong: ``<where>: <what>``.
"""

from __future__ import annotations


class FeedsError(Exception):
    """Root of every error feeds raises on purpose."""


class ConfigError(FeedsError):
    """The configuration is invalid.  ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class LockHeldError(FeedsError):
    """Another refresh is running and did not release the lock in time."""


class StateError(FeedsError):
    """The state database is missing, corrupt or from a newer version."""


class SourceError(FeedsError):
    """A source (or one of its files or pages) failed."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class InputError(SourceError):
    """A file or page is empty, binary, undecodable or otherwise unusable."""


class ParseError(InputError):
    """A document was read but holds no recognisable article."""


class FetchError(SourceError):
    """An HTTP request failed after its retries, or was refused by policy."""


class PublishError(FeedsError):
    """A generated document failed validation; the published one was kept."""

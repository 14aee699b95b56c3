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
        └── OutputError      the output folder cannot be written (read-only, full disk)

Messages name the file or URL first, then what is wrong: ``<where>: <what>``.  Anything
else that reaches a user is a bug, and :func:`bug_reason` words it: what failed, that it
is a bug, and how to report it.
"""

from __future__ import annotations

#: Set (to anything but "" or "0") to see the traceback of a bug instead of one line.
DEBUG_VARIABLE = "FEEDS_DEBUG"


def bug_reason(what: str, exc: BaseException) -> str:
    """The ``<what>`` of a message about an exception feeds did not expect: a bug."""
    detail = " ".join(str(exc).split())
    shown = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return (
        f"{what} ({shown}): this is a bug in feeds; please report it with the command you "
        f'ran and this line (see "Reporting problems" in README.md; {DEBUG_VARIABLE}=1 '
        "shows the details)"
    )


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


class OutputError(PublishError):
    """A file of the output folder could not be written: the files already published stay
    as they were, and the next run writes whatever is missing."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")

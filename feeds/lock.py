"""One refresh at a time: an exclusive lock file beside the state database."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feeds.errors import LockHeldError, StateError

POLL_SECONDS = 0.1


@contextmanager
def exclusive(path: Path, timeout: float) -> Iterator[None]:
    """Hold ``path`` locked; wait up to ``timeout`` seconds for another holder to finish.

    The kernel drops the lock when the holder dies, even by SIGKILL, so a crashed run
    never blocks the next one.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateError(
            f"{path}: cannot create the lock file ({exc.strerror or exc}): the state's folder "
            "must be writable"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeldError(
                        f"{path}: another refresh is running (waited {timeout:g} s for the lock)"
                    ) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

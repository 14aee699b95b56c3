"""Pure CPU work spread over the machine's cores, results in order.

Parsing a cold batch of dumps and rendering a cold output are thousands of independent
pieces of pure work.  Large batches go to forked worker processes, one per core (but
the cores left to this process when it has heavy work of its own): the
``context`` (a loaded profile, the site and its sections) is set before the workers are
forked, so they inherit it instead of receiving a copy, and only the items travel to a
worker, a chunk at a time, and their results travel back.  Small batches, and machines
with one core or without ``fork``, work in this process.  A few chunks are in flight
per worker, not all: when the caller is slower than the workers (storing or writing
what they make), finished results would otherwise pile up in memory.  A caller that
keeps cores for itself (``leave``) works on the batch too whenever the next result is
not ready yet, instead of leaving its core idle.

Work must not raise: what may fail is returned as a value (an error costs one item).
The process machinery is imported only for a batch that uses it: a run with one new
file has no use for it.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

_Context = TypeVar("_Context")
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

#: Chunks this process may finish ahead of a worker's slower one.
_HELPED_AHEAD = 3

#: The work of the batch running now, inherited by the workers it forks.
_job: tuple[Callable[[Any, Any], Any], Any] | None = None


def spread(
    work: Callable[[_Context, _Item], _Result],
    context: _Context,
    items: Iterable[_Item],
    count: int,
    *,
    chunk: int,
    parallel_from: int,
    leave: int = 0,
) -> Iterator[_Result]:
    """``work(context, item)`` for each of ``count`` items, in their order, yielded as
    soon as each is ready (the caller can store the first while the rest is worked on).
    ``items`` may be lazy: it is read a chunk at a time.  ``leave`` cores are left to
    this process, when what it does with the results is heavy work too; while it waits,
    it works the next chunk itself."""
    workers = _workers(count, chunk, parallel_from, leave)
    if not workers:
        for item in items:
            yield work(context, item)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _job
    _job = (work, context)
    # Objects that exist now are left out of the garbage collector's passes: a worker's
    # collector would otherwise touch every object it inherited, and each touched page
    # becomes the worker's own copy (memory that forking was meant to share).
    gc.freeze()
    try:
        source = iter(items)
        chunks = iter(lambda: list(islice(source, chunk)), [])
        fork = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=fork) as pool:
            # In order: a chunk a worker has, or one this process did while waiting.
            pending: deque[Future[list[_Result]] | list[_Result]] = deque(
                pool.submit(_run, part) for part in islice(chunks, 2 * workers)
            )
            while pending:
                head = pending[0]
                if isinstance(head, list):
                    done = head
                elif (
                    leave
                    and not head.done()
                    # Done chunks wait here for their turn: a few, not the whole batch.
                    and len(pending) < 2 * workers + _HELPED_AHEAD
                    and (part := next(chunks, None)) is not None
                ):
                    pending.append(_run(part))
                    continue
                else:
                    done = head.result()
                pending.popleft()
                following = next(chunks, None)
                if following is not None:
                    pending.append(pool.submit(_run, following))
                yield from done
    finally:
        _job = None
        gc.unfreeze()


def _run(items: list[Any]) -> list[Any]:
    assert _job is not None
    work, context = _job
    return [work(context, item) for item in items]


def _workers(count: int, chunk: int, parallel_from: int, leave: int = 0) -> int:
    """Worker processes for a batch: none for a small one, nor where they would not run
    beside this process on cores of their own."""
    cores = os.cpu_count() or 1
    workers = min(cores - leave, 8, count // chunk + 1)
    if count < parallel_from or workers + leave < 2 or workers < 1:
        return 0
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return workers

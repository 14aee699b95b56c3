"""Work spread over forked processes: in order, in other processes, a few chunks ahead."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from feeds.pool import spread


def tagged(offset: int, item: int) -> tuple[int, int]:
    return item + offset, os.getpid()


def test_a_large_batch_runs_in_workers_and_keeps_its_order() -> None:
    results = list(spread(tagged, 1000, range(200), 200, chunk=8, parallel_from=64))
    assert [value for value, _ in results] == list(range(1000, 1200))
    workers = {pid for _, pid in results}
    assert os.getpid() not in workers and len(workers) >= min(os.cpu_count() or 1, 2)


def test_a_small_batch_stays_in_this_process() -> None:
    results = list(spread(tagged, 0, range(10), 10, chunk=8, parallel_from=64))
    assert results == [(n, os.getpid()) for n in range(10)]


def test_lazy_items_are_read_only_a_few_chunks_ahead() -> None:
    handed: list[int] = []

    def items() -> Iterator[int]:
        for n in range(400):
            handed.append(n)
            yield n

    seen = 0
    most_ahead = 0
    for value, _ in spread(tagged, 0, items(), 400, chunk=10, parallel_from=64):
        assert value == seen
        seen += 1
        most_ahead = max(most_ahead, len(handed) - seen)
    assert seen == 400
    workers = min(os.cpu_count() or 1, 8)
    # In flight: two chunks per worker, and the one just taken.
    assert most_ahead <= (2 * workers + 1) * 10


def test_cores_left_to_this_process_are_not_given_to_workers() -> None:
    cores = os.cpu_count() or 1
    results = list(spread(tagged, 0, range(200), 200, chunk=8, parallel_from=64, leave=1))
    assert [value for value, _ in results] == list(range(200))
    workers = {pid for _, pid in results} - {os.getpid()}
    assert len(workers) <= max(cores - 1, 0)


def slow_in_workers(parent: int, item: int) -> tuple[int, int]:
    if os.getpid() != parent:
        time.sleep(0.02)
    return item, os.getpid()


def test_a_caller_that_kept_a_core_works_while_it_waits() -> None:
    parent = os.getpid()
    results = list(
        spread(slow_in_workers, parent, range(200), 200, chunk=4, parallel_from=64, leave=1)
    )
    assert [value for value, _ in results] == list(range(200))
    done_here = sum(pid == parent for _, pid in results)
    if (os.cpu_count() or 1) < 2:
        assert done_here == 200  # one core: no workers at all
        return
    # The workers are slow: this process did most chunks, and the workers some.
    assert 0 < done_here < 200
    # Unless it keeps a core for itself, it only waits.
    alone = list(spread(slow_in_workers, parent, range(100), 100, chunk=4, parallel_from=64))
    assert all(pid != parent for _, pid in alone)

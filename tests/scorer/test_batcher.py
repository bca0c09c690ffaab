"""The micro-batcher's sizing and waiting rules, driven by an in-memory queue (no broker needed)."""

from __future__ import annotations

import threading
import time
from collections import deque

from spindrift.serving.batcher import MicroBatcher


class QueueSource:
    """Items arrive in a deque; ``fetch`` behaves like ``consumer.poll``: waits up to timeout for any."""

    def __init__(self) -> None:
        self.items: deque[int] = deque()
        self.cond = threading.Condition()
        self.fetches: list[tuple[float, int]] = []

    def put(self, *rows: int) -> None:
        with self.cond:
            self.items.extend(rows)
            self.cond.notify_all()

    def fetch(self, timeout_ms: float, max_items: int) -> list[int]:
        self.fetches.append((timeout_ms, max_items))
        with self.cond:
            self.cond.wait_for(lambda: bool(self.items), timeout=timeout_ms / 1000.0)
            out = []
            while self.items and len(out) < max_items:
                out.append(self.items.popleft())
            return out


def make(source: QueueSource, **kwargs: object) -> MicroBatcher[int]:
    return MicroBatcher(source.fetch, lambda rows: rows, **kwargs)  # type: ignore[arg-type]


def test_idle_returns_empty_after_the_idle_timeout() -> None:
    source = QueueSource()
    started = time.monotonic()
    assert make(source).next_batch(20) == []
    assert time.monotonic() - started < 1.0


def test_lone_request_is_not_delayed_by_max_wait() -> None:
    source = QueueSource()
    batcher = make(source, max_wait_ms=500)
    source.put(1)
    started = time.monotonic()
    assert batcher.next_batch(100) == [1]
    # A lone request under light load must not wait for batch-mates.
    assert time.monotonic() - started < 0.25
    assert len(source.fetches) == 1


def test_queueing_requests_are_topped_up_within_max_wait() -> None:
    source = QueueSource()
    batcher = make(source, max_wait_ms=300, max_rows=100)
    source.put(1, 1)
    timer = threading.Timer(0.05, source.put, args=(1, 1, 1))
    timer.start()
    try:
        batch = batcher.next_batch(100)
    finally:
        timer.join()
    assert batch == [1, 1, 1, 1, 1]


def test_batch_stops_at_max_rows_and_asks_only_for_what_fits() -> None:
    source = QueueSource()
    batcher = make(source, max_wait_ms=50, max_rows=4)
    source.put(1, 1, 1, 1, 1, 1)
    assert batcher.next_batch(100) == [1, 1, 1, 1]
    assert source.fetches[0][1] == 4
    assert batcher.next_batch(100) == [1, 1]


def test_top_up_asks_for_the_remaining_row_budget() -> None:
    source = QueueSource()
    batcher = make(source, max_wait_ms=200, max_rows=10)
    source.put(3, 3)
    threading.Timer(0.02, source.put, args=(1, 1, 1, 1, 1)).start()
    batch = batcher.next_batch(100)
    assert sum(batch) == 10
    assert source.fetches[1][1] == 4  # 10 rows allowed, 6 taken


def test_disabled_batching_scores_one_item_at_a_time() -> None:
    source = QueueSource()
    batcher = make(source, enabled=False)
    source.put(1, 1, 1)
    assert [batcher.next_batch(100) for _ in range(3)] == [[1], [1], [1]]
    assert all(max_items == 1 for _t, max_items in source.fetches)


def test_bad_settings_are_rejected_with_the_value() -> None:
    import pytest

    with pytest.raises(ValueError, match="max_rows must be at least 1, got 0"):
        make(QueueSource(), max_rows=0)
    with pytest.raises(ValueError, match="max_wait_ms must not be negative"):
        make(QueueSource(), max_wait_ms=-1)

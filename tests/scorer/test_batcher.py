"""The micro-batcher's sizing and waiting rules, on an injected clock (no broker, no wall-clock thresholds).

A :class:`ScriptedSource` holds items that arrive at given instants of a :class:`FakeClock`.
Its ``fetch`` behaves like ``consumer.poll``: it returns what has arrived, or else "waits" by
moving the clock to the next arrival or to the end of its timeout, whichever comes first. So
every wait the batcher makes shows up exactly on the clock, however busy the machine is.
"""

from __future__ import annotations

import pytest

from spindrift.serving.batcher import MicroBatcher


class FakeClock:
    """A monotonic clock that only moves when the source waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedSource:
    """Items (their row counts) arriving at scripted instants; ``fetch`` waits on the fake clock only."""

    def __init__(self, clock: FakeClock, arrivals: list[tuple[float, int]]) -> None:
        self.clock = clock
        self.pending = sorted(arrivals)
        self.fetches: list[tuple[float, float, int]] = []
        """(clock at the call, timeout_ms, max_items) of each fetch."""

    def fetch(self, timeout_ms: float, max_items: int) -> list[int]:
        self.fetches.append((self.clock.now, timeout_ms, max_items))
        if not self._arrived():
            until = self.clock.now + timeout_ms / 1000.0
            if self.pending and self.pending[0][0] <= until:
                until = self.pending[0][0]
            self.clock.now = until
        out: list[int] = []
        while self._arrived() and len(out) < max_items:
            out.append(self.pending.pop(0)[1])
        return out

    def _arrived(self) -> bool:
        return bool(self.pending) and self.pending[0][0] <= self.clock.now


def make(arrivals: list[tuple[float, int]], **kwargs: object) -> tuple[MicroBatcher[int], ScriptedSource, FakeClock]:
    clock = FakeClock()
    source = ScriptedSource(clock, arrivals)
    batcher: MicroBatcher[int] = MicroBatcher(source.fetch, lambda rows: rows, clock=clock, **kwargs)  # type: ignore[arg-type]
    return batcher, source, clock


def test_idle_returns_empty_after_exactly_the_idle_timeout() -> None:
    batcher, source, clock = make([])
    assert batcher.next_batch(20) == []
    assert clock.now == pytest.approx(0.020)
    assert len(source.fetches) == 1


def test_lone_request_is_not_delayed_by_max_wait() -> None:
    batcher, source, clock = make([(0.0, 1), (0.4, 1)], max_wait_ms=500)
    assert batcher.next_batch(100) == [1]
    # A lone request under light load is scored as soon as it is polled: no wait, no top-up fetch.
    assert clock.now == 0.0
    assert len(source.fetches) == 1


def test_queueing_requests_are_topped_up_until_max_wait_and_no_longer() -> None:
    batcher, source, clock = make([(0.0, 1), (0.0, 1), (0.05, 1), (0.05, 1), (0.05, 1), (0.4, 1)], max_wait_ms=300)
    assert batcher.next_batch(100) == [1, 1, 1, 1, 1]
    assert clock.now == pytest.approx(0.300), "the top-up stops at max_wait after the first fetch"
    assert [round(timeout) for _at, timeout, _max in source.fetches] == [100, 300, 250]
    # The late arrival starts the next batch; the last one queued, so it waits max_wait for company.
    assert batcher.next_batch(100) == [1]
    assert clock.now == pytest.approx(0.4 + 0.3)


def test_after_a_queueing_batch_even_a_lone_request_waits_for_company() -> None:
    batcher, _source, clock = make([(0.0, 1), (0.0, 1), (1.0, 1), (1.002, 1), (2.0, 1)], max_wait_ms=5)
    assert batcher.next_batch(10) == [1, 1]
    clock.now = 1.0
    # The previous batch held two requests (they were queueing): wait up to 5 ms and catch the one 2 ms behind.
    assert batcher.next_batch(10) == [1, 1]
    assert clock.now == pytest.approx(1.005)
    # That batch queued too, but this lone request finds no company: it is scored after the 5 ms wait...
    clock.now = 2.0
    assert batcher.next_batch(10) == [1]
    assert clock.now == pytest.approx(2.005)


def test_after_a_lone_batch_the_next_lone_request_does_not_wait() -> None:
    batcher, _source, clock = make([(0.0, 1), (0.0, 1), (1.0, 1), (2.0, 1)], max_wait_ms=5)
    assert batcher.next_batch(10) == [1, 1]
    clock.now = 1.0
    assert batcher.next_batch(10) == [1]
    clock.now = 2.0
    # ...and having waited in vain, the batcher stops waiting: the next lone request goes at once.
    assert batcher.next_batch(10) == [1]
    assert clock.now == 2.0


def test_batch_stops_at_max_rows_and_asks_only_for_what_fits() -> None:
    batcher, source, clock = make([(0.0, 1)] * 6, max_wait_ms=50, max_rows=4)
    assert batcher.next_batch(100) == [1, 1, 1, 1]
    assert source.fetches[0][2] == 4
    assert clock.now == 0.0, "a full batch does not wait"
    assert batcher.next_batch(100) == [1, 1]


def test_top_up_asks_for_the_remaining_row_budget() -> None:
    batcher, source, _clock = make([(0.0, 3), (0.0, 3), *[(0.02, 1)] * 5], max_wait_ms=200, max_rows=10)
    batch = batcher.next_batch(100)
    assert sum(batch) == 10
    assert source.fetches[1][2] == 4  # 10 rows allowed, 6 taken


def test_disabled_batching_scores_one_item_at_a_time_without_waiting() -> None:
    batcher, source, clock = make([(0.0, 1)] * 3, enabled=False, max_wait_ms=500)
    assert [batcher.next_batch(100) for _ in range(3)] == [[1], [1], [1]]
    assert all(max_items == 1 for _at, _timeout, max_items in source.fetches)
    assert clock.now == 0.0


def test_bad_settings_are_rejected_with_the_value() -> None:
    with pytest.raises(ValueError, match="max_rows must be at least 1, got 0"):
        make([], max_rows=0)
    with pytest.raises(ValueError, match="max_wait_ms must not be negative"):
        make([], max_wait_ms=-1)

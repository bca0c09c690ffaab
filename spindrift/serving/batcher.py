"""Adaptive micro-batching: gather what is already waiting into one vectorised call.

The batcher knows nothing of Kafka: it pulls items through a ``fetch(timeout_ms,
max_items)`` function (the worker wraps ``consumer.poll``) and counts rows with
``rows_of``. It never delays a lone request under light load: it waits up to
``max_wait_ms`` for more only while the batch is small *and* the previous batch showed
that requests are queueing (more than one item arrived), so at 100 req/s a request is
scored as soon as it is polled, and under heavy load batches fill up.

With batching disabled every batch holds exactly one item, so each request costs one
data-plane call and one acknowledged reply: the baseline the benchmark compares against.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

Fetch = Callable[[float, int], list[T]]


class MicroBatcher(Generic[T]):
    """Pulls items into batches of at most ``max_rows`` rows (a single larger item is kept whole)."""

    def __init__(
        self,
        fetch: Fetch[T],
        rows_of: Callable[[T], int],
        *,
        enabled: bool = True,
        max_rows: int = 512,
        max_wait_ms: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, got {max_wait_ms}")
        self._fetch = fetch
        self._rows_of = rows_of
        self.enabled = enabled
        self.max_rows = max_rows
        self.max_wait_ms = max_wait_ms
        self._clock = clock
        self._queueing = False  # did the last batch hold more than one item?

    def next_batch(self, idle_timeout_ms: float) -> list[T]:
        """Block up to ``idle_timeout_ms`` for a first item, then top the batch up; [] when idle."""
        if not self.enabled:
            return self._fetch(idle_timeout_ms, 1)
        # Each item has at least one row, so asking for max_rows items never overshoots by count.
        batch = self._fetch(idle_timeout_ms, self.max_rows)
        if not batch:
            return batch
        rows = sum(self._rows_of(item) for item in batch)
        if self.max_wait_ms > 0 and (self._queueing or len(batch) > 1):
            deadline = self._clock() + self.max_wait_ms / 1000.0
            while rows < self.max_rows:
                remaining_ms = (deadline - self._clock()) * 1000.0
                if remaining_ms <= 0:
                    break
                more = self._fetch(remaining_ms, self.max_rows - rows)
                if not more:
                    break
                batch.extend(more)
                rows += sum(self._rows_of(item) for item in more)
        self._queueing = len(batch) > 1
        return batch

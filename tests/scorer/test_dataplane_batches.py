"""Micro-batches far above the runtime's one-row threshold, through the data plane without a broker.

Up to 8 rows the runtime scores row by row; the batches here hold 50-odd rows from several
requests, so they take the columnar ``transform_rows(errors="return")`` path, and, when one row
is bad, its row-by-row retry. The model has two ``handleInvalid="skip"`` stages. Each request
must get exactly its own rows, in order, with Spark's values (skipped rows left out, as Spark's
transform leaves them out), and exactly the outcome it gets when scored alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spindrift.serving.dataplane import DataPlane
from spindrift.serving.model_store import ModelStore
from tests.runtime.parity import assert_close

from .batches import MODEL, assert_expected_outcome, good_rows, mixed_batch
from .conftest import SkippingModel
from .test_dataplane import Registry, publish

pytestmark = pytest.mark.spark


@pytest.fixture()
def plane(skipping_model: SkippingModel) -> Iterator[DataPlane]:
    registry = Registry()
    store = ModelStore(registry.view)
    sample = good_rows(2, 0)
    publish(registry, store, MODEL, 1, skipping_model.path, sample_rows=sample)
    yield DataPlane(store, "batch-scorer")
    store.close()


@pytest.mark.parametrize("with_bad_row", [False, True], ids=["columnar", "row-by-row-retry"])
def test_each_request_of_a_large_batch_gets_its_own_rows_as_spark_scores_them(
    plane: DataPlane, skipping_model: SkippingModel, with_bad_row: bool
) -> None:
    calls = mixed_batch(with_bad_row)
    assert sum(len(c.rows) for c in calls) > 50, "far above the 8-row threshold of the one-row path"
    outcomes = plane.score(calls)
    assert [o.request_id for o in outcomes] == [c.request_id for c in calls]
    for call, outcome in zip(calls, outcomes, strict=True):
        code = None if outcome.error_code is None else outcome.error_code.value
        assert_expected_outcome(skipping_model, call, outcome.rows, code, outcome.error_message)


@pytest.mark.parametrize("with_bad_row", [False, True], ids=["columnar", "row-by-row-retry"])
def test_a_request_gets_the_same_outcome_in_a_large_batch_as_alone(plane: DataPlane, with_bad_row: bool) -> None:
    calls = mixed_batch(with_bad_row)
    together = plane.score(calls)
    for call, mine in zip(calls, together, strict=True):
        (alone,) = plane.score([call])  # most requests hold ≤ 8 rows: alone they take the one-row path
        assert (mine.error_code, mine.error_message) == (alone.error_code, alone.error_message), call.request_id
        # The columnar and one-row paths may sum in a different order: equal within the parity tolerance.
        assert_close(mine.rows, alone.rows, call.request_id)

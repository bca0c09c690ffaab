"""The loaded-version gauges follow the store: new versions appear, retired ones disappear."""

from __future__ import annotations

from prometheus_client import REGISTRY

from spindrift.serving import metrics


def _loaded_series() -> set[tuple[str, str]]:
    return {
        (s.labels["model"], s.labels["version"])
        for family in REGISTRY.collect()
        if family.name == "spindrift_scorer_model_version_loaded"
        for s in family.samples
        if s.value == 1
    }


def test_loaded_versions_replace_the_previous_set() -> None:
    metrics.show_loaded_versions([("churn", 1), ("churn", 2)])
    assert _loaded_series() == {("churn", "1"), ("churn", "2")}
    assert REGISTRY.get_sample_value("spindrift_scorer_model_versions_loaded") == 2

    metrics.show_loaded_versions([("churn", 2)])  # v1 retired
    assert _loaded_series() == {("churn", "2")}
    assert REGISTRY.get_sample_value("spindrift_scorer_model_versions_loaded") == 1

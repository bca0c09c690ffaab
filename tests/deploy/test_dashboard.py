"""The committed dashboard is exactly what dashboards/generate.py builds, and its queries are testable."""

from __future__ import annotations

import json

from dashboards.generate import OUTPUT, PANELS, build, expressions, render


def test_committed_dashboard_matches_the_generator() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == render(), "run `python -m dashboards.generate` and commit the JSON"


def test_every_panel_queries_prometheus_with_plain_promql() -> None:
    panels = build()["panels"]
    assert isinstance(panels, list) and len(panels) == len(PANELS)
    targets = [t for p in panels for t in p["targets"]]
    assert [t["expr"] for t in targets] == expressions()
    # Grafana-only variables would make the compose test's direct Prometheus queries meaningless.
    assert not [e for e in expressions() if "$" in e]
    assert all(t["datasource"]["uid"] == "prometheus" for t in targets)


def test_dashboard_json_is_grafana_shaped() -> None:
    board = json.loads(OUTPUT.read_text(encoding="utf-8"))
    assert board["uid"] == "spindrift" and board["title"] == "Spindrift"
    assert all(p["type"] in {"stat", "timeseries"} and p["gridPos"]["w"] > 0 for p in board["panels"])

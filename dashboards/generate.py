"""The Spindrift Grafana dashboard, built with grafana-foundation-sdk.

``python -m dashboards.generate`` writes ``dashboards/spindrift.json``, which Grafana loads
through the compose stack's provisioning (``deploy/grafana``). Edit the panels here, never the
JSON: ``tests/deploy/test_dashboard.py`` fails when the two differ, and the compose test runs
every expression of :data:`PANELS` against the stack's Prometheus.

Queries avoid Grafana's ``$__`` variables so that the very same strings can be sent to
Prometheus by the tests.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import DataSourceRef

OUTPUT = Path(__file__).with_name("spindrift.json")
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")  # provisioned with this uid


@dataclass(frozen=True)
class Query:
    """One PromQL expression and the legend of its series."""

    expr: str
    legend: str


@dataclass(frozen=True)
class PanelSpec:
    """One panel: its title, what it shows, its unit, its queries, and whether it is a single stat."""

    title: str
    description: str
    unit: str
    queries: tuple[Query, ...]
    single_stat: bool = False
    width: int = 12


def _quantiles(metric: str, by: str, window: str = "1m") -> tuple[Query, ...]:
    legend = " ".join("{{" + label.strip() + "}}" for label in by.split(",")) if by else ""
    grouping = f"le, {by}" if by else "le"
    return tuple(
        Query(
            f"histogram_quantile({q}, sum by ({grouping}) (rate({metric}_bucket[{window}])))",
            f"p{int(q * 100)} {legend}".strip(),
        )
        for q in (0.5, 0.99)
    )


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec(
        "Live scorers",
        "Scorer replicas Prometheus currently scrapes successfully.",
        "none",
        (Query('count(up{job="scorer"} == 1)', "scorers"),),
        single_stat=True,
        width=6,
    ),
    PanelSpec(
        "Model versions loaded",
        "Distinct model versions loaded on at least one scorer.",
        "none",
        (Query("count(count by (model, version) (spindrift_scorer_model_version_loaded == 1))", "versions"),),
        single_stat=True,
        width=6,
    ),
    PanelSpec(
        "Error ratio",
        "Share of score requests answered with an error code over the last 5 minutes.",
        "percentunit",
        (
            Query(
                'sum(rate(spindrift_scorer_requests_total{outcome!="ok"}[5m])) '
                "/ sum(rate(spindrift_scorer_requests_total[5m]))",
                "errors / requests",
            ),
        ),
        single_stat=True,
        width=6,
    ),
    PanelSpec(
        "Trainer queue depth",
        "Training requests waiting for a trainer.",
        "none",
        (Query("sum(spindrift_trainer_queue_depth)", "waiting jobs"),),
        single_stat=True,
        width=6,
    ),
    PanelSpec(
        "Score requests per second",
        "Requests answered by the scorers over every transport (Kafka, stream, inline), by model and outcome "
        "(ok or the error code of the reply).",
        "reqps",
        (
            Query(
                "sum by (model, outcome) (rate(spindrift_scorer_requests_total[1m]))",
                "{{model}} {{outcome}}",
            ),
        ),
    ),
    PanelSpec(
        "Gateway HTTP requests per second",
        "Requests the HTTP gateway answered, by route template and status code.",
        "reqps",
        (
            Query(
                "sum by (route, status) (rate(spindrift_gateway_requests_total[1m]))",
                "{{route}} {{status}}",
            ),
        ),
    ),
    PanelSpec(
        "Gateway latency by route",
        "Time from request to response at the gateway (predict includes the Kafka round trip), p50 and p99.",
        "s",
        _quantiles("spindrift_gateway_request_duration_seconds", "route"),
    ),
    PanelSpec(
        "Reply errors by code",
        "Error replies per second by error code, and records sent to the dead-letter topic by reason.",
        "reqps",
        (
            Query(
                'sum by (outcome) (rate(spindrift_scorer_requests_total{outcome!="ok"}[5m]))',
                "{{outcome}}",
            ),
            Query("sum by (reason) (rate(spindrift_scorer_dlq_total[5m]))", "DLQ {{reason}}"),
        ),
    ),
    PanelSpec(
        "Scoring latency by model and version",
        "Time of one vectorised transform call, p50 and p99.",
        "s",
        _quantiles("spindrift_scorer_score_seconds", "model, version"),
    ),
    PanelSpec(
        "Request age at reply",
        "From the caller's send time to the reply being acknowledged, p50 and p99.",
        "s",
        _quantiles("spindrift_scorer_request_age_seconds", ""),
    ),
    PanelSpec(
        "Batch sizes",
        "Rows and requests per micro-batch handed to the data plane, p50 and p99.",
        "none",
        tuple(
            Query(q.expr, f"{q.legend} {what}")
            for what, metric in (
                ("rows", "spindrift_scorer_batch_rows"),
                ("requests", "spindrift_scorer_batch_requests"),
            )
            for q in _quantiles(metric, "", "5m")
        ),
    ),
    PanelSpec(
        "Consumer lag",
        "Records not yet committed, by consumer group and partition (scorers and trainers).",
        "none",
        (
            Query(
                "max by (group, topic, partition) (spindrift_kafka_consumer_lag)",
                "{{group}} {{topic}}[{{partition}}]",
            ),
        ),
    ),
    PanelSpec(
        "Model versions served",
        "How many scorers have each model version loaded, over time.",
        "none",
        (Query("count by (model, version) (spindrift_scorer_model_version_loaded == 1)", "{{model}} v{{version}}"),),
    ),
    PanelSpec(
        "Model load time",
        "Time to load and validate one model version on a scorer, p50 and p99 over the last hour.",
        "s",
        _quantiles("spindrift_scorer_model_load_seconds", "model", "1h"),
    ),
    PanelSpec(
        "Training jobs",
        "Jobs finished in the last hour, by kind and outcome.",
        "none",
        (
            Query(
                "sum by (kind, outcome) (increase(spindrift_trainer_jobs_total[1h]))",
                "{{kind}} {{outcome}}",
            ),
        ),
    ),
    PanelSpec(
        "Training job duration",
        "Mean wall time of finished jobs over the last hour, and jobs running now.",
        "s",
        (
            Query(
                "sum by (kind) (increase(spindrift_trainer_job_duration_seconds_sum[1h])) "
                "/ sum by (kind) (increase(spindrift_trainer_job_duration_seconds_count[1h]))",
                "mean {{kind}}",
            ),
            Query("sum(spindrift_trainer_jobs_running)", "running"),
        ),
    ),
)


def _panel(spec: PanelSpec) -> stat.Panel | timeseries.Panel:
    builder: stat.Panel | timeseries.Panel
    if spec.single_stat:
        builder = (
            stat.Panel()
            .graph_mode(common.BigValueGraphMode.AREA)
            .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        )
    else:
        builder = (
            timeseries.Panel()
            .legend(
                common_builders.VizLegendOptions()
                .show_legend(True)
                .display_mode(common.LegendDisplayMode.LIST)
                .placement(common.LegendPlacement.BOTTOM)
            )
            .tooltip(
                common_builders.VizTooltipOptions()
                .mode(common.TooltipDisplayMode.MULTI)
                .sort(common.SortOrder.DESCENDING)
            )
        )
    builder = builder.title(spec.title).description(spec.description).unit(spec.unit)
    builder = builder.datasource(DATASOURCE).span(spec.width).height(4 if spec.single_stat else 8)
    for ref, query in zip("ABCDEFGH", spec.queries, strict=False):
        builder = builder.with_target(
            prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(ref).datasource(DATASOURCE)
        )
    return builder


def build() -> dict[str, object]:
    """The dashboard as the JSON object Grafana provisions."""
    board = (
        dashboard.Dashboard("Spindrift")
        .uid("spindrift")
        .description("Scoring traffic, latency, consumer lag, model versions and training jobs of a Spindrift stack.")
        .tags(["spindrift"])
        .refresh("10s")
        .time("now-30m", "now")
        .timezone("browser")
    )
    for spec in PANELS:
        board = board.with_panel(_panel(spec))
    return json.loads(json.dumps(board.build(), cls=JSONEncoder))


def render() -> str:
    """The dashboard's JSON text, as committed in dashboards/spindrift.json."""
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def expressions() -> list[str]:
    """Every PromQL expression of the dashboard, in panel order."""
    return [query.expr for spec in PANELS for query in spec.queries]


def main() -> int:
    """Write dashboards/spindrift.json; returns 0."""
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(PANELS)} panels, {len(expressions())} queries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

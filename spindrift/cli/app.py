"""The ``spindrift`` command: thin Typer commands over :mod:`spindrift.cli.api` and :mod:`spindrift.local`.

Exit codes: 0 success; 1 the operation failed (a job failed, the topology did not start);
2 bad usage or input (Typer's own, an unreadable spec or rows); 3 no gateway answers;
4 not found (unknown model, version or job); 5 the gateway rejected the request (422, e.g. a
bad spec, with the gateway's message); 6 any other error status from the gateway.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from spindrift import local
from spindrift.cli.api import ApiError, Gateway, GatewayDown, GatewayError
from spindrift.cli.progress import JobTimeout, follow_job

__all__ = ["app"]

DEFAULT_GATEWAY = "http://127.0.0.1:8080"

app = typer.Typer(
    name="spindrift",
    help="Train Spark ML pipelines and serve them in real time: the local topology and the HTTP gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

RunDirOption = Annotated[
    Path | None,
    typer.Option(
        "--run-dir", envvar="SPINDRIFT_RUN_DIR", help="Run directory (state and logs) [default: .spindrift/run]"
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one error line and exit with ``code``."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def fail_api(exc: GatewayError, *, what: str = "") -> NoReturn:
    """Map a gateway error to its exit code (see the module docstring)."""
    if isinstance(exc, GatewayDown):
        fail(str(exc), 3)
    assert isinstance(exc, ApiError)
    prefix = f"{what}: " if what else ""
    if exc.status == 404:
        fail(f"{prefix}{exc.message}", 4)
    if exc.status == 422:
        fail(f"{prefix}rejected by the gateway: {exc.message}", 5)
    fail(f"{prefix}the gateway answered {exc.status}: {exc.message}", 6)


def gateway(ctx: typer.Context) -> Gateway:
    """The client of the gateway the global options name."""
    options: dict[str, Any] = ctx.obj or {}
    return Gateway(options.get("url", DEFAULT_GATEWAY), options.get("api_key"))


@app.callback()
def main(
    ctx: typer.Context,
    gateway_url: Annotated[
        str, typer.Option("--gateway", envvar="SPINDRIFT_GATEWAY", help="Gateway base URL.")
    ] = DEFAULT_GATEWAY,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="SPINDRIFT_API_KEY", help="Bearer API key, when the gateway needs one."),
    ] = None,
) -> None:
    """Spindrift's command line."""
    ctx.obj = {"url": gateway_url, "api_key": api_key}


# --- the local topology -----------------------------------------------------------------------------


@app.command()
def up(
    run_dir: RunDirOption = None,
    gateway_port: Annotated[
        int, typer.Option(envvar="SPINDRIFT_GATEWAY_PORT", help="Gateway port on 127.0.0.1.")
    ] = local.DEFAULT_GATEWAY_PORT,
    kafka_port: Annotated[
        int,
        typer.Option(
            envvar="SPINDRIFT_KAFKA_PORT", help="Embedded Kafka port (unless KAFKA_BOOTSTRAP_SERVERS is set)."
        ),
    ] = local.DEFAULT_KAFKA_PORT,
    scorers: Annotated[int, typer.Option(min=1, help="Scorer processes.")] = 2,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 300.0,
) -> None:
    """Start Kafka, a trainer, scorers and the gateway in the background; return once ready."""
    options = local.UpOptions(
        run_dir=run_dir or local.default_run_dir(),
        gateway_port=gateway_port,
        kafka_port=kafka_port,
        scorers=scorers,
        timeout_s=timeout,
    )
    started = time.monotonic()
    try:
        with err.status("starting the local topology…") as spinner:
            result = local.up(options, on_wait=lambda phase: spinner.update(f"{phase}…"))
    except local.LocalError as exc:
        fail(str(exc))
    state = result.state
    if result.already_running:
        out.print("[green]already up[/]")
    else:
        out.print(f"[green]up[/] in {time.monotonic() - started:.1f}s")
    _print_where(state)


def _print_where(state: dict[str, Any]) -> None:
    kafka = state.get("kafka")
    where = "embedded" if state.get("embedded_kafka") else "KAFKA_BOOTSTRAP_SERVERS"
    out.print(f"  gateway   {state.get('gateway_url')}", highlight=False)
    out.print(f"  kafka     {kafka} ({where})", highlight=False)
    out.print(f"  logs      {state.get('log_dir')}", highlight=False)
    out.print(f"  stop with `{local.stop_hint(state.get('run_dir'))}`", highlight=False)


@app.command()
def down(run_dir: RunDirOption = None) -> None:
    """Stop everything `up` started: no stray processes, ports freed; does nothing when nothing runs."""
    try:
        result = local.down(run_dir)
    except local.LocalError as exc:
        fail(str(exc))
    if not result.was_running:
        out.print("nothing is running")
        return
    killed = f" (killed after the timeout: {', '.join(result.killed)})" if result.killed else ""
    out.print(f"[green]stopped[/]{killed}")


@app.command()
def status(run_dir: RunDirOption = None) -> None:
    """Each process of the local topology and the gateway's health; exit 1 when not up and ready."""
    current = local.status(run_dir)
    if not current.running and current.processes:
        names = ", ".join(f"{p.name} (pid {p.pid})" for p in current.processes)
        fail(f"the supervisor is gone but {names} still run; `spindrift down` stops them")
    if not current.running:
        out.print("nothing is running (start it with `make up`)")
        raise typer.Exit(1)
    table = Table(title=f"local topology ({current.state.get('phase', '?')})")
    for column in ("process", "pid", "alive", "ready", "log"):
        table.add_column(column)
    for p in current.processes:
        ready = "-" if p.ready is None else ("yes" if p.ready else "[red]no[/]")
        table.add_row(p.name, str(p.pid), "yes" if p.alive else "[red]no[/]", ready, p.log)
    out.print(table)
    _print_where(current.state)
    if current.gateway_ready is not None:
        out.print(f"  gateway /v2/health/ready: {'[green]ready[/]' if current.gateway_ready else '[red]not ready[/]'}")
    healthy = all(p.alive and p.ready is not False for p in current.processes) and current.gateway_ready is not False
    if not healthy:
        raise typer.Exit(1)


# --- jobs -------------------------------------------------------------------------------------------


@app.command()
def train(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(help="Training spec (JSON), as POST /v1/jobs takes it.")],
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the job until it ends.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 900.0,
) -> None:
    """Submit a training job; with --wait, show its progress and exit 0 only when published and servable."""
    try:
        body = json.loads(spec.read_text())
    except OSError as exc:
        fail(f"cannot read the spec {spec}: {exc.strerror or exc}", 2)
    except ValueError as exc:
        fail(f"the spec {spec} is not valid JSON: {exc}", 2)
    if not isinstance(body, dict):
        fail(f"the spec {spec} must be a JSON object", 2)
    with gateway(ctx) as gw:
        try:
            accepted = gw.submit_job(body)
        except GatewayError as exc:
            fail_api(exc, what=f"spec {spec}")
        job_id = str(accepted["job_id"])
        out.print(f"job [bold]{job_id}[/] {accepted.get('state', 'queued')}", highlight=False)
        if not wait:
            return
        final = _follow_to_the_end(gw, job_id, timeout)
    _report_job(final)


@app.command()
def follow(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Job id, as `spindrift train` or POST /v1/jobs printed it.")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the job to end.")] = 900.0,
) -> None:
    """Follow a job's progress until it ends; exit 0 only when published and servable."""
    with gateway(ctx) as gw:
        final = _follow_to_the_end(gw, job_id, timeout)
    _report_job(final)


@app.command()
def cancel(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Job id to cancel.")],
) -> None:
    """Ask the trainer to cancel a job (queued or running); it then ends with CANCELLED."""
    with gateway(ctx) as gw:
        try:
            gw.cancel_job(job_id)
        except GatewayError as exc:
            fail_api(exc, what=f"job {job_id}")
    out.print(f"job {job_id}: cancel requested", highlight=False)


def _follow_to_the_end(gw: Gateway, job_id: str, timeout: float) -> dict[str, Any]:
    """Follow ``job_id`` with progress shown until it ends; a timeout or API error exits with its message."""
    try:
        return follow_job(gw, job_id, timeout, out)
    except JobTimeout as exc:
        fail(f"{exc}; follow it with `spindrift jobs`")
    except GatewayError as exc:
        fail_api(exc, what=f"job {job_id}")


def _report_job(job: dict[str, Any]) -> None:
    state = job.get("state")
    model = job.get("model") or {}
    name, version = model.get("name"), model.get("version")
    if state == "succeeded" and job.get("servable") and version is not None:
        metrics = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in (job.get("metrics") or {}).items()
        )
        out.print(f"[green]published[/] {name} version {version}, servable" + (f"; {metrics}" if metrics else ""))
        return
    if state == "succeeded":
        fail(f"{name} version {version} was published but is not servable: {job.get('reason') or 'no reason given'}")
    fail(f"job {job.get('job_id')} {state}: {job.get('error') or job.get('reason') or 'no error message'}")


@app.command()
def jobs(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="Only jobs in this state.")] = None,
    model: Annotated[str | None, typer.Option(help="Only jobs of this model.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the gateway's JSON.")] = False,
) -> None:
    """Recent jobs, newest first."""
    with gateway(ctx) as gw:
        try:
            page = gw.jobs(state=state, model=model, limit=limit)
        except GatewayError as exc:
            fail_api(exc)
    if as_json:
        out.print_json(data=page)
        return
    table = Table(title=f"jobs ({page.get('total', len(page.get('jobs', [])))} in all)")
    table.add_column("job", no_wrap=True)  # ids are copied from here: never cut them
    for column in ("kind", "state", "model", "version", "servable", "progress"):
        table.add_column(column)
    for job in page.get("jobs", []):
        m = job.get("model") or {}
        progress = job.get("progress")
        table.add_row(
            str(job.get("job_id")),
            str(job.get("kind") or ""),
            str(job.get("state")),
            str(m.get("name") or ""),
            "" if m.get("version") is None else str(m["version"]),
            "" if job.get("servable") is None else ("yes" if job["servable"] else "no"),
            "" if progress is None else f"{progress * 100:.0f}%",
        )
    out.print(table)


# --- models -----------------------------------------------------------------------------------------


@app.command()
def models(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the gateway's JSON.")] = False,
) -> None:
    """Every model the registry knows, with its default version and aliases."""
    with gateway(ctx) as gw:
        try:
            listing = gw.models()
        except GatewayError as exc:
            fail_api(exc)
    if as_json:
        out.print_json(data=listing)
        return
    table = Table(title="models")
    for column in ("model", "default version", "latest", "versions", "aliases"):
        table.add_column(column)
    for m in listing.get("models", []):
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted((m.get("aliases") or {}).items()))
        default = m.get("default_version")
        table.add_row(
            str(m.get("name")),
            "-" if default is None else str(default),
            str(m.get("latest_version", "")),
            str(m.get("versions", "")),
            aliases,
        )
    out.print(table)


@app.command()
def promote(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model name.")],
    version: Annotated[int, typer.Argument(min=1, help="Version to point the alias at.")],
    alias: Annotated[str, typer.Option(help="Alias to move.")] = "production",
) -> None:
    """Point an alias (default: production) at a version; predict without a version follows it."""
    with gateway(ctx) as gw:
        try:
            gw.set_alias(model, alias, version)
        except GatewayError as exc:
            fail_api(exc, what=f"{model} version {version}")
    out.print(f"{model}: {alias} → version {version}", highlight=False)


@app.command()
def predict(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model name.")],
    rows: Annotated[str, typer.Option(help="Rows as JSON (an object or a list of objects), or @FILE holding it.")],
    version: Annotated[
        str | None, typer.Option(help="A version number or an alias (default: production, else latest).")
    ] = None,
    outputs: Annotated[
        str | None, typer.Option(help="Columns to return: 'a,b', or 'all' (default: the final stage's outputs).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the gateway's JSON (for scripts).")] = False,
) -> None:
    """Score rows with a model through the gateway."""
    parsed = _read_rows(rows)
    selected: list[str] | str | None = None
    if outputs is not None:
        selected = "all" if outputs.strip() in ("all", "*") else [c.strip() for c in outputs.split(",") if c.strip()]
    with gateway(ctx) as gw:
        try:
            answer = gw.predict(model, parsed, version=version, outputs=selected)
        except GatewayError as exc:
            fail_api(exc, what=f"model {model}")
    if as_json:
        typer.echo(json.dumps(answer))
        return
    predictions = answer.get("predictions") or []
    columns = list(dict.fromkeys(k for p in predictions for k in p))
    latency = answer.get("latency_ms")
    caption = f"{answer.get('model')} version {answer.get('version')}" + (
        f", {latency:.1f} ms round trip" if isinstance(latency, (int, float)) else ""
    )
    table = Table(title=caption)
    table.add_column("#", justify="right")
    for c in columns:
        table.add_column(c)
    for i, p in enumerate(predictions):
        table.add_row(str(i), *(_cell(p.get(c)) for c in columns))
    out.print(table)


def _read_rows(text: str) -> list[dict[str, Any]]:
    """``--rows``: JSON, or ``@FILE``; one object becomes a one-row list."""
    source = "--rows"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text()
        except OSError as exc:
            fail(f"cannot read rows from {source}: {exc.strerror or exc}", 2)
    try:
        value = json.loads(text)
    except ValueError as exc:
        fail(f"{source} is not valid JSON: {exc}", 2)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(r, dict) for r in value):
        fail(f"{source} must be a JSON object or a non-empty list of objects (one per row)", 2)
    return value


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and len(value) <= 8 and all(isinstance(v, float) for v in value):
        return "[" + ", ".join(f"{v:.4f}" for v in value) + "]"
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "…"

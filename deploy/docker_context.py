"""Prepare ``build/docker/``: what the images install offline, made on the host.

``python deploy/docker_context.py`` (``make compose-up`` and the compose test run it) writes:

- ``wheels/``: every third-party dependency of the three service extras as a wheel, pinned to the versions installed in
  ``.venv`` (the ones the tests ran against), rebuilt only when those versions change;
- ``app/``: the ``spindrift`` and ``sparkml-runtime`` wheels, rebuilt every time (cheap);
- ``requirements-<service>.txt`` for ``scorer`` (also the topic initialiser), ``gateway`` and
  ``trainer``: pyproject's base dependencies plus that service's extra (only the trainer's
  brings pyspark), sparkml-runtime's own dependencies in place of sparkml-runtime;
- ``kafka-jars/``: the broker's jars from ``.kafka/jars`` (fetched with Maven when missing).

Why on the host: containers here cannot verify HTTPS (the machine's egress presents its own
CA, trusted only in the host bundle), and installing from local wheels is faster anyway. On a
machine without that restriction the images could equally ``pip install`` from an index; the
Dockerfile's comments say how.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = ROOT / "build" / "docker"
OWN_PACKAGES = {"spindrift", "sparkml-runtime"}
# One image per extra of pyproject.toml; each installs the base dependencies plus its extra.
SERVICES = ("scorer", "gateway", "trainer")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"cannot read a package name from the requirement {requirement!r} in pyproject.toml")
    return _normalise(match.group(1))


def service_dependencies(service: str) -> list[str]:
    """What ``pip install 'spindrift[SERVICE]'`` would need, minus the project's own two packages.

    pyproject's base dependencies and the service's extra, with sparkml-runtime replaced by its
    own dependencies (its wheel is built from libs/sparkml_runtime, not fetched).
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    if service not in extras:
        raise SystemExit(f"pyproject.toml has no [{service}] extra; the images need one per service: {SERVICES}")
    runtime = tomllib.loads((ROOT / "libs/sparkml_runtime/pyproject.toml").read_text())["project"]["dependencies"]
    deps = [d for d in [*project["dependencies"], *extras[service]] if _requirement_name(d) not in OWN_PACKAGES]
    names = {_requirement_name(d) for d in deps}
    return deps + [d for d in runtime if _requirement_name(d) not in names]


def all_service_dependencies() -> list[str]:
    """Every service's dependencies, once each (the wheels to build)."""
    seen: dict[str, str] = {}
    for service in SERVICES:
        for dep in service_dependencies(service):
            seen.setdefault(_requirement_name(dep), dep)
    return list(seen.values())


def pinned_versions() -> list[str]:
    """``name==version`` of every package installed in the running interpreter's environment, ours excluded."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True, capture_output=True, text=True
    ).stdout
    pins = [line.strip() for line in out.splitlines() if "==" in line and not line.startswith("-e")]
    return sorted(p for p in pins if _requirement_name(p) not in OWN_PACKAGES)


def _pip_wheel(args: list[str]) -> None:
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed:\n{result.stderr[-3000:]}")


def build_dependency_wheels(deps: list[str], constraints: Path) -> None:
    """Wheels of every dependency, once per set of pinned versions (a stamp records which)."""
    wheels = CONTEXT / "wheels"
    digest = hashlib.sha256((constraints.read_text() + "\n".join(deps)).encode()).hexdigest()[:16]
    stamp = wheels / f".built-{digest}"
    if stamp.exists():
        return
    print(f"docker context: building dependency wheels into {wheels}", flush=True)
    if wheels.exists():
        shutil.rmtree(wheels)
    wheels.mkdir(parents=True)
    _pip_wheel(["-w", str(wheels), "-c", str(constraints), *deps])
    stamp.touch()


def build_app_wheels() -> None:
    """The project's own two wheels (no dependencies), replaced on every run."""
    app = CONTEXT / "app"
    if app.exists():
        shutil.rmtree(app)
    app.mkdir(parents=True)
    _pip_wheel(["--no-deps", "-w", str(app), str(ROOT), str(ROOT / "libs" / "sparkml_runtime")])


def write_requirements() -> None:
    """One requirements file per service image."""
    for service in SERVICES:
        (CONTEXT / f"requirements-{service}.txt").write_text("\n".join(service_dependencies(service)) + "\n")
    for stale in ("requirements-runtime.txt",):  # written by earlier versions of this script
        (CONTEXT / stale).unlink(missing_ok=True)


def copy_kafka_jars() -> None:
    """The broker's jars, as the embedded broker uses them (Maven fetches them when absent)."""
    from spindrift.kafka.embedded import ensure_jars

    source = ensure_jars()
    target = CONTEXT / "kafka-jars"
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in source.glob("*.jar")}
    for stale in target.glob("*.jar"):
        if stale.name not in wanted:
            stale.unlink()
    for jar in source.glob("*.jar"):
        copy = target / jar.name
        if not copy.exists() or copy.stat().st_size != jar.stat().st_size:
            shutil.copy2(jar, copy)


def main() -> int:
    """Bring build/docker up to date; returns 0."""
    CONTEXT.mkdir(parents=True, exist_ok=True)
    deps = all_service_dependencies()
    constraints = CONTEXT / "constraints.txt"
    constraints.write_text("\n".join(pinned_versions()) + "\n")
    build_dependency_wheels(deps, constraints)
    build_app_wheels()
    write_requirements()
    copy_kafka_jars()
    return 0


if __name__ == "__main__":
    sys.exit(main())

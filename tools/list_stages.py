"""Print the Spark stages sparkml_runtime supports, as markdown, straight from its registry.

    .venv/bin/python tools/list_stages.py                 # print the list
    .venv/bin/python tools/list_stages.py --update-readme # rewrite it in libs/sparkml_runtime/README.md

The README's list sits between ``<!-- stages:begin -->`` and ``<!-- stages:end -->``; with
``--update-readme`` only that part is replaced, so the list never drifts from the code.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from sparkml_runtime.stages import REGISTRY

README = Path(__file__).resolve().parent.parent / "libs" / "sparkml_runtime" / "README.md"
BEGIN, END = "<!-- stages:begin -->", "<!-- stages:end -->"
SPARK_ML = "org.apache.spark.ml."


def _summary(cls: type, short: str) -> str:
    """First paragraph of a stage class's docstring, in markdown, without repeating the name."""
    paragraph = (cls.__doc__ or "").strip().split("\n\n", 1)[0]
    text = " ".join(line.strip() for line in paragraph.splitlines()).replace("``", "`")
    for prefix in (f"`{short}`: ", f"`{short.removesuffix('Model')}`: "):
        text = text.removeprefix(prefix)
    return text.rstrip(".")


def stages_markdown() -> str:
    """The registry as markdown: one section per Spark package, one line per class."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        package, _, short = name.removeprefix(SPARK_ML).rpartition(".")
        family = cls.__module__.rsplit(".", 1)[-1]
        shown = short if name.startswith(SPARK_ML) else name
        summary = _summary(cls, short)
        groups[package or "(top level)"].append(f"- `{shown}` ({family}){' — ' + summary if summary else ''}")
    lines = [f"{len(REGISTRY)} Spark classes (`sparkml_runtime.supported_stages()`), by package:", ""]
    for package in sorted(groups):
        lines += [f"**{package}** ({len(groups[package])})", "", *groups[package], ""]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(path: Path, body: str) -> None:
    """Replace the text between the stage-list markers of ``path`` with ``body``."""
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} markers; add them where the list belongs")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{body}{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Print the list, or write it into the README."""
    parser = argparse.ArgumentParser(description="list the Spark stages sparkml_runtime supports")
    parser.add_argument("--update-readme", action="store_true", help=f"rewrite the list in {README}")
    args = parser.parse_args(argv)
    body = stages_markdown()
    if args.update_readme:
        update_readme(README, body)
        print(f"updated {README} ({len(REGISTRY)} stages)", file=sys.stderr)
    else:
        sys.stdout.write(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

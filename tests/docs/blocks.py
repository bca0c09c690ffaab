"""Fenced code blocks of the Markdown documents, with the marker that says how the docs test treats each.

Convention (documented in README.md, "Development"):

- ```` ```bash ```` and ```` ```python ```` blocks are run by ``tests/docs``; ```` ```json ```` blocks are
  parsed (and, when they are a training spec, checked by the trainer's own parser);
- an HTML comment ``<!-- docs-test: skip (why) -->`` on the line(s) just before a block leaves it out
  (e.g. ``docker compose``); the reason is required;
- ``<!-- docs-test: continues -->`` before a ``python`` block runs it after the document's previous
  python block, in the same interpreter (for a snippet that uses the ``model`` loaded above it);
- blocks without a language (```` ``` ````) are listings or output, never run.

Blocks read ports and addresses from environment variables with defaults
(``${SPINDRIFT_GATEWAY:-http://127.0.0.1:8080}``, ``KAFKA_BOOTSTRAP_SERVERS``), which the test sets
to its own topology: the text is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DOCUMENTS", "REPO_ROOT", "Block", "blocks_of", "python_chain"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    REPO_ROOT / "README.md",
    REPO_ROOT / "libs/sparkml_runtime/README.md",
    REPO_ROOT / "schemas/README.md",
    REPO_ROOT / "services/trainer/README.md",
    REPO_ROOT / "services/gateway/README.md",
]

_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*docs-test:\s*(\w+)\s*(?:\((.+)\))?\s*-->\s*$")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its text and its docs-test marker."""

    path: Path
    line: int
    """1-based line of the opening fence."""
    language: str
    text: str
    section: str
    """The text of the nearest heading above the block."""
    marker: str | None = None
    """``skip`` or ``continues`` when the block is marked so, else None."""
    reason: str | None = None

    @property
    def where(self) -> str:
        """``path:line`` relative to the repository, for test ids and failure messages."""
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line}"

    @property
    def runnable(self) -> bool:
        """A bash or python block not marked skip."""
        return self.language in ("bash", "sh", "python") and self.marker != "skip"


def blocks_of(path: Path) -> list[Block]:
    """Every fenced block of the Markdown file ``path``, in order; a bad marker raises ValueError."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    section = ""
    pending: tuple[str, str | None] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence:
            end = index + 1
            while end < len(lines) and lines[end].strip() != fence.group(1):
                end += 1
            marker, reason = pending or (None, None)
            blocks.append(
                Block(
                    path,
                    index + 1,
                    fence.group(2).lower(),
                    "\n".join(lines[index + 1 : end]) + "\n",
                    section,
                    marker,
                    reason,
                )
            )
            pending = None
            index = end + 1
            continue
        marker = _MARKER.match(line.strip())
        if marker:
            kind, reason = marker.group(1), (marker.group(2) or "").strip()
            if not (kind == "skip" and reason) and kind != "continues":
                raise ValueError(
                    f"{path}:{index + 1}: write <!-- docs-test: skip (the reason) --> or <!-- docs-test: continues -->, "
                    f"got {line.strip()!r}"
                )
            pending = (kind, reason or None)
        elif line.strip():
            heading = _HEADING.match(line)
            if heading:
                section = heading.group(1)
            pending = None  # a marker applies only to the block right after it (blank lines allowed)
        index += 1
    return blocks


def python_chain(blocks: list[Block], block: Block) -> list[Block]:
    """``block`` preceded by the python blocks it continues (each marked ``continues`` follows the one before)."""
    earlier = [b for b in blocks if b.language == "python" and b.path == block.path and b.line < block.line]
    chain = [block]
    while chain[0].marker == "continues":
        if not earlier:
            raise ValueError(f"{block.where}: marked 'continues' but no python block comes before it")
        chain.insert(0, earlier.pop())
    return chain

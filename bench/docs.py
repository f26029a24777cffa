"""Writing a benchmark's section of docs/benchmarks.md: replace the previous run's, keep the rest."""

from __future__ import annotations

import re
from pathlib import Path


def write_marked_section(
    path: Path, section: str, marked: re.Pattern[str], *, heading: str | None = None
) -> None:
    """Put `section` where `marked` matched last time; else where `heading` starts (a section
    written before the markers existed); else at the end."""
    old = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if marked.search(old):
        new = marked.sub(lambda _m: section, old, count=1)
    elif heading and heading in old:
        start = old.index(heading)
        following = old.find("\n## ", start + len(heading))
        new = old[:start] + section + (old[following + 1 :] if following != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)

"""Programs that show repro's integration: lines marked ``# repro`` are what repro adds, lines
marked ``# repro: <original>`` replace the original. From such a program the plain one (without
repro) is rebuilt, so a test can run both and count the lines repro cost."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MARK = re.compile(r"\s+# repro(?:: (?P<plain>.+))?$")


def without_repro(source: str) -> tuple[str, int]:
    """The program without repro (added lines removed, replaced lines restored, the body of a
    removed ``with`` dedented) and the number of lines repro added."""
    plain: list[str] = []
    added = 0
    dedent_below: int | None = None  # indentation of a removed `with` line
    for line in source.splitlines():
        indent = len(line) - len(line.lstrip())
        if dedent_below is not None and line.strip() and indent <= dedent_below:
            dedent_below = None
        match = MARK.search(line)
        if match and match["plain"] is None:
            added += 1
            if line.lstrip().startswith("with "):
                dedent_below = indent
            continue
        if match:
            line = line[:indent] + match["plain"]
        if dedent_below is not None and line.strip():
            line = line[4:]
        plain.append(line)
    return "\n".join(plain) + "\n", added


def run_program(source: str, name: str) -> dict[str, Any]:
    """Execute a program as a module named ``name``; its globals afterwards."""
    namespace: dict[str, Any] = {"__name__": name, "__file__": str(Path(name).absolute())}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace

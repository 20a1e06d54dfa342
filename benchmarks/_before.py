"""Run a benchmark's measurement against repro as it was at an earlier commit, side by side.

``git archive`` writes that commit's ``repro/`` and ``templates/`` into a temporary directory,
and the benchmark script runs again there (``PYTHONPATH`` first, so that tree's ``repro`` is
imported) with ``--measure``, printing its figures as JSON. Rounds alternate between the two
trees so a busy machine slows both alike. Only the public API (``repro.load_record``,
``repro.render``) may be used by a measurement, since it must run on both trees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The last commit before the render layer became documents + registry (issue 10).
BEFORE_RESHAPE = "f1ce74d"


@contextmanager
def tree_at(revision: str) -> Iterator[Path | None]:
    """The package as of ``revision`` in a temporary directory; None if git cannot give it."""
    target = Path(tempfile.mkdtemp(prefix="repro-before-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "repro", "templates"],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            yield None
            return
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def measure(script: Path, args: list[str], tree: Path | None) -> dict[str, Any]:
    """Run ``script --measure`` (in ``tree`` when given) and return the JSON it prints."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(script), "--measure", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} --measure failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_by_side(
    script: Path, args: list[str], against: str, rounds: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``rounds`` measurements of the current tree and of ``against``, alternating; the second
    list is empty when git cannot give that commit."""
    now: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    with tree_at(against) as tree:
        for _ in range(rounds):
            if tree is not None:
                before.append(measure(script, args, tree))
            now.append(measure(script, args, None))
    return now, before

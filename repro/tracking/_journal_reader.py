"""Reading a journal: each line checked against its entry kind, folded into one run's state.

A journal may have been written by a process that crashed (a torn last line, a block of NUL
bytes left by a file system that lost unwritten data), copied by hand, or planted by someone
else. Reading never trusts a line: an entry whose fields do not have the types and ranges
MLflow accepts is counted and skipped, never sent; only the first ``open`` entry counts; a
duplicated metric entry is sent once. What was skipped is reported by sync.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.tracking.flatten import valid_key

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
LOCAL_ID = re.compile(r"^local-[0-9a-f]{32}$")
_RUN_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_NULS = re.compile(rb"\x00+")
_valid_key = functools.lru_cache(maxsize=4096)(valid_key)  # a run logs the same names again


def _int(value: Any, low: int = INT64_MIN, high: int = INT64_MAX) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value: Any) -> bool:
    """A metric value MLflow stores as a double (NaN and infinities included)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return False
        return True
    return isinstance(value, float)


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _values(entry: dict[str, Any]) -> bool:
    values = entry.get("v")
    return (  # empty is fine: a resumed run's call whose points an earlier attempt logged
        isinstance(values, dict)
        and all(isinstance(k, str) and _valid_key(k) and _number(v) for k, v in values.items())
    )


# What each entry kind must hold; an entry failing its check is skipped (see module docstring).
_VALID = {
    "open": lambda e: (
        isinstance(e.get("local_id"), str)
        and bool(LOCAL_ID.match(e["local_id"]))
        and isinstance(e.get("uri"), str)
        and isinstance(e.get("experiment"), str)
        and isinstance(e.get("record"), dict)
    ),
    "m": lambda e: _int(e.get("i"), 0) and _int(e.get("s")) and _int(e.get("ts"), 0) and _values(e),
    "ack": lambda e: _int(e.get("upto"), -1),
    "bind": lambda e: isinstance(e.get("run_id"), str) and bool(_RUN_ID.match(e["run_id"])),
    "setup": lambda e: True,
    "result": lambda e: isinstance(e.get("metric"), dict),
    "artifact": lambda e: (
        _int(e.get("n"), 0)
        and _optional_str(e.get("src"))
        and _optional_str(e.get("dest"))
        and _optional_str(e.get("name"))
    ),
    "artifact_ack": lambda e: _int(e.get("n"), 0),
    "close": lambda e: isinstance(e.get("status"), str) and isinstance(e.get("record"), dict),
    "done": lambda e: True,
    "gap": lambda e: _int(e.get("entries"), 0),
    "target": lambda e: isinstance(e.get("uri"), str),
}


class JournalError(ValueError):
    """A journal file that cannot be used (no readable ``open`` entry)."""


@dataclass
class JournalState:
    """What a journal says about its run, folded from its entries in order."""

    path: Path
    open: dict[str, Any]
    run_id: str | None = None
    setup_done: bool = False
    metrics: list[dict[str, Any]] = field(default_factory=list)
    acked_upto: int = -1
    results: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts_acked: set[int] = field(default_factory=set)
    close: dict[str, Any] | None = None
    done: bool = False
    last_ts: int = 0
    bad_lines: int = 0  # unreadable or ill-typed lines before the last one: entries lost
    torn_tail: bool = False  # the last line was cut by a crash mid-write (nothing returned yet)
    duplicates: int = 0  # metric entries seen twice (sent once)
    gaps: list[dict[str, Any]] = field(default_factory=list)  # entries the writer could not keep
    retarget: str | None = None  # the URI of the latest ``target`` entry
    problems: list[str] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set, repr=False)

    @property
    def local_id(self) -> str:
        return str(self.open["local_id"])

    @property
    def tracking_uri(self) -> str:
        """The (credential-free) URI the run is delivered to."""
        return self.retarget if self.retarget is not None else str(self.open["uri"])

    @property
    def writer_locked(self) -> bool:
        """Whether the writer held an exclusive lock on the journal for its lifetime."""
        return self.open.get("lock") is True

    def unsent_metrics(self) -> list[dict[str, Any]]:
        """Metric entries not acknowledged as in MLflow."""
        return [m for m in self.metrics if m["i"] > self.acked_upto]

    def unsent_artifacts(self) -> list[dict[str, Any]]:
        """Artifact entries not acknowledged as in MLflow."""
        return [a for n, a in sorted(self.artifacts.items()) if n not in self.artifacts_acked]

    def missing_entries(self) -> int:
        """Metric entries absent from the journal though later ones are there (``i`` runs
        0, 1, 2, ...): overwritten by a crash or never written, and not known to be in MLflow."""
        if not self._seen:
            return 0
        top = max(self._seen)
        return sum(1 for i in range(self.acked_upto + 1, top + 1) if i not in self._seen)

    def lost_entries(self) -> int:
        """Entries the writer could neither journal nor keep (its ``gap`` entries)."""
        return sum(int(g["entries"]) for g in self.gaps)

    # -- folding -------------------------------------------------------------------------

    def apply(self, entry: dict[str, Any]) -> None:
        kind = entry["t"]
        ts = entry.get("ts")
        if _int(ts, 0):
            self.last_ts = max(self.last_ts, ts)
        if kind in ("m", "result", "artifact", "close"):
            self.done = False  # something arrived after the run was delivered
        if kind == "m":
            if entry["i"] in self._seen:
                self.duplicates += 1
                return
            self._seen.add(entry["i"])
            self.metrics.append(entry)
        elif kind == "ack":
            self.acked_upto = max(self.acked_upto, entry["upto"])
        elif kind == "bind":
            self.run_id = entry["run_id"]
        elif kind == "setup":
            self.setup_done = True
        elif kind == "result":
            self.results.append(entry["metric"])
        elif kind == "artifact":
            self.artifacts[entry["n"]] = entry
        elif kind == "artifact_ack":
            self.artifacts_acked.add(entry["n"])
        elif kind == "close":
            self.close = entry
        elif kind == "done":
            self.done = True
        elif kind == "gap":
            self.gaps.append(entry)
        elif kind == "target":
            # Delivery starts over on another store (or a recreated run): nothing acknowledged
            # before counts there.
            self.retarget = entry["uri"]
            self.run_id = None
            self.setup_done = False
            self.acked_upto = -1
            self.artifacts_acked = set()
            self.done = False


def _entries(raw: bytes) -> list[dict[str, Any] | None]:
    """The entries one raw line holds; None for an unreadable piece. A NUL block (left where a
    crash lost data) is cut out, so an entry written after it still counts."""
    pieces = _NULS.split(raw) if b"\x00" in raw else [raw]
    out: list[dict[str, Any] | None] = []
    for piece in pieces:
        text = piece.strip()
        if not text:
            continue
        try:
            entry = json.loads(text.decode("utf-8", errors="replace"))
        except (json.JSONDecodeError, RecursionError, ValueError):
            out.append(None)
            continue
        out.append(entry if isinstance(entry, dict) else None)
    return out


def _valid(entry: dict[str, Any]) -> bool:
    check = _VALID.get(entry.get("t"))  # type: ignore[arg-type]
    if check is None:
        return False
    try:
        return bool(check(entry))
    except (TypeError, ValueError, OverflowError):
        return False


def read_journal(path: Path) -> JournalState:
    """Parse and check a journal (see the module docstring for what is skipped)."""
    with path.open("rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    ends_cleanly = data.endswith(b"\n")
    if ends_cleanly:
        lines.pop()
    state: JournalState | None = None
    bad = 0
    before_open = 0
    torn = False
    for number, raw in enumerate(lines):
        last = number == len(lines) - 1
        for entry in _entries(raw):
            if entry is None or not _valid(entry):
                if last and not ends_cleanly and entry is None:
                    torn = True  # cut mid-write by a crash: the call never returned
                else:
                    bad += 1
                continue
            if entry["t"] == "open":
                if state is None:
                    state = JournalState(path=path, open=entry, run_id=None)
                    if _int(entry.get("ts"), 0):
                        state.last_ts = entry["ts"]
                    if isinstance(entry.get("run_id"), str) and _RUN_ID.match(entry["run_id"]):
                        state.run_id = entry["run_id"]
                else:
                    bad += 1  # a second open would otherwise restart the run half-way
                continue
            if state is None:
                before_open += 1
                continue
            state.apply(entry)
    if state is None:
        raise JournalError(f"{path}: not a repro journal (no readable 'open' entry)")
    state.bad_lines = bad + before_open
    state.torn_tail = torn
    return state

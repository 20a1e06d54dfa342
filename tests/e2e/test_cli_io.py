"""The command line's input and output conveniences: `-` for standard input, a byte-order mark
for Excel, progress only on a terminal, table options."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import CONTRIBUTORS, EXAMPLE

ROOT = Path(__file__).resolve().parents[2]


def repro(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "repro", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["validate", "-"], "ok: -"),
        (["card", "-"], "# LSTM baseline for the adding problem"),
        (["check", "-"], "PASSED"),
        (["report", "-"], "| LSTM baseline for the adding problem | 1 |"),
        (["render", "-", "-f", "hparams-md"], "| Hyperparameter | lstm-adding-seed0 |"),
        (["credit", "-"], "Josiah Carberry: Conceptualization"),
    ],
)
def test_dash_reads_the_record_from_standard_input(args: list[str], expect: str) -> None:
    done = repro(*args, stdin=EXAMPLE.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert expect in done.stdout
    assert repro(*args, stdin=EXAMPLE.read_text(encoding="utf-8")).stdout == done.stdout


def test_dash_takes_json_and_contributors_too() -> None:
    import json

    import yaml

    as_json = json.dumps(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    done = repro("validate", "-", stdin=as_json)
    assert done.returncode == 0, done.stderr
    people = repro("credit", "-", "-f", "csv", stdin=CONTRIBUTORS.read_text(encoding="utf-8"))
    assert people.returncode == 0 and "Wei" in people.stdout


def test_bad_standard_input_is_a_clear_error() -> None:
    invalid = repro("validate", "-", stdin="run: {name: x}\ntraining: {batch_size: -1}\n")
    assert invalid.returncode == 1
    assert "<stdin>: training.batch_size" in invalid.stderr
    empty = repro("card", "-", stdin="")
    assert empty.returncode == 2 and "no record on standard input" in empty.stderr
    twice = repro("diff", "-", "-", stdin=EXAMPLE.read_text(encoding="utf-8"))
    assert twice.returncode == 2 and "one SOURCE only" in twice.stderr
    for done in (invalid, empty, twice):
        assert "Traceback" not in done.stderr


def test_bom_for_csv_only(tmp_path: Path) -> None:
    out = tmp_path / "table.csv"
    done = repro("report", str(EXAMPLE), "--format", "csv", "--bom", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbfconfiguration,")
    credit = repro("credit", str(CONTRIBUTORS), "-f", "csv", "--bom")
    assert credit.returncode == 0 and credit.stdout.startswith("\ufefforder,")
    plain = repro("credit", str(CONTRIBUTORS), "-f", "csv")
    assert plain.stdout.startswith("order,")
    wrong = repro("report", str(EXAMPLE), "--format", "md", "--bom")
    assert wrong.returncode == 2 and "--bom applies to CSV" in wrong.stderr


def test_hparams_rows_and_label_from_the_command_line() -> None:
    done = repro(
        "report", str(EXAMPLE), "--table", "hparams", "--format", "latex",
        "--rows", "Architecture,Learning rate", "--label", "tab:mine", "--caption", "Mine",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\\label{tab:mine}" in done.stdout and "\\caption{Mine}" in done.stdout
    assert "Learning rate" in done.stdout and "Hidden size" in done.stdout
    assert "Batch size" not in done.stdout and "Optimisation" in done.stdout
    unknown = repro("report", str(EXAMPLE), "--table", "hparams", "--rows", "Colour")
    assert unknown.returncode == 2 and "no hyperparameter row or group named colour" in (
        unknown.stderr
    )


def test_progress_shows_on_a_terminal_only() -> None:
    code = (
        "import time\n"
        "from repro.cli.progress import each\n"
        "for _ in each(range(3), 'reading records', total=3):\n"
        "    time.sleep(0.3)\n"
    )
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr == ""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": "80", "TERM": "xterm"},
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
    process.wait(timeout=30)
    os.close(leader)
    assert b"reading records" in seen

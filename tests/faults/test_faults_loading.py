"""Record and profile files off the happy path: YAML alias bombs and recursive aliases, deep
nesting, numbers beyond range, FIFOs, devices, directories and oversized files. Each is refused
with one paragraph naming the file and exit code 2, before any command spends time or memory
on it; control characters a profile carries never make the JUnit report invalid.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest
from support.faults import repro_cli
from support.paths import EXAMPLE

from repro.cli import main
from repro.files.records import MAX_FILE_BYTES


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


BOMB = """\
run:
  name: bomb
training:
  optimizer:
    name: sgd
    settings:
      a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
BOMB_MESSAGE = (
    "bomb.yaml: refused at line 12: YAML aliases expand to more than 100,000 extra values "
    "(an alias bomb?)"
)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "{f}"],
        ["check", "{f}", "--profile", "ml-reproducibility"],
        ["diff", "{f}", str(EXAMPLE)],
        ["card", "{f}"],
        ["report", "{f}"],
        ["log", "{f}"],
    ],
    ids=lambda a: a[0],
)
def test_alias_bomb_is_refused_by_every_command(
    args: list[str], tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    code, out, err = cli(capsys, *(a.format(f=bomb) for a in args))
    assert code == 2 and out == ""
    prefix = "" if args[0] == "validate" else "repro: error: "  # validate lists files itself
    assert err == f"{prefix}{tmp_path}/{BOMB_MESSAGE}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.yaml"]  # nothing created


def test_anchors_used_the_ordinary_way_still_load(tmp_path: Path, capsys) -> None:
    record = tmp_path / "anchors.yaml"
    record.write_text(
        "run: {name: x, tags: &t {a: b, c: d}}\n"
        "training: {optimizer: {name: sgd, settings: {x: *t, y: *t}}}\n"
    )
    code, _, err = cli(capsys, "validate", str(record))
    assert code == 0, err


CASES = {
    "recursive.yaml": (
        "run: &r {name: x, tags: {a: *r}}\n",
        "recursive.yaml: refused at line 1: a recursive YAML alias (a value that contains itself)",
    ),
    "deep.json": ("[" * 5000 + "]" * 5000, "deep.json: refused: nesting deeper than 100 levels"),
    "deep.yaml": (
        "run: {name: x}\ntraining: {optimizer: {name: sgd, settings: "
        + "{a: " * 150
        + "1"
        + "}" * 150
        + "}}\n",
        "deep.yaml: refused at line 2: nesting deeper than 100 levels",
    ),
    "digits.json": (
        '{"run": {"name": "x"}, "training": {"batch_size": ' + "9" * 5000 + "}}",
        "digits.json: refused: an integer of 5000 digits is out of range",
    ),
    "digits.yaml": (
        "run: {name: x}\ntraining: {batch_size: " + "9" * 5000 + "}\n",
        "digits.yaml: not valid YAML at line 2, column 24: an integer of 5000 digits is out of "
        "range",
    ),
    "huge.json": (
        '{"run": {"name": "x"}, "training": {"optimizer": {"name": "sgd", "settings": '
        '{"lr": 1e999}}}}',
        "huge.json: refused: the number 1e999 is out of range for a float",
    ),
    "huge.yaml": (
        "run: {name: x}\ntraining: {optimizer: {name: sgd, settings: {lr: 1.0e+999}}}\n",
        "huge.yaml: not valid YAML at line 2, column 50: the number 1.0e+999 is out of range "
        "for a float",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_limits_are_clear_errors(name: str, tmp_path: Path, capsys) -> None:
    text, message = CASES[name]
    path = tmp_path / name
    path.write_text(text)
    code, out, err = cli(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    assert err == f"{tmp_path}/{message}\n"


def test_a_fifo_as_record_file_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "record.yaml"
    os.mkfifo(fifo)
    done = repro_cli("validate", str(fifo), cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"{fifo}: is a FIFO (named pipe), not a record file; refused\n"

    # even with a writer waiting on the other side
    def write() -> None:
        with contextlib.suppress(OSError):
            fifo.write_text("run: {name: x}\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    done = repro_cli("check", str(fifo), "--profile", "ml-reproducibility", cwd=tmp_path)
    assert done.returncode == 2 and "is a FIFO (named pipe)" in done.stderr
    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # let the writer go
    writer.join(10)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.symlink("/dev/zero", p), "is a character device"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
    ids=["device", "directory"],
)
def test_special_files_are_refused(make, kind: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "record.yaml"
    make(path)
    code, out, err = cli(capsys, "check", str(path), "--profile", "ml-reproducibility")
    assert (code, out) == (2, "")
    assert err.startswith(f"repro: error: {path}: {kind}") and err.count("\n") == 1


def test_an_oversized_file_is_refused_before_reading(tmp_path: Path, capsys) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written
    code, _, err = cli(capsys, "validate", str(path))
    assert code == 2
    assert err == (
        f"{path}: 67,108,865 bytes is larger than the 67,108,864-byte limit for record files\n"
    )


PROFILE = """\
name: "evil\\e[31m profile\\x00"
title: "a profile with control characters \\x07\\x1b"
source: "hostile \\x1b[2J"
requirements:
  - id: "needs-\\x01-thing"
    path: training.optimizer.name
    message: "record the optimizer \\x0b\\x0c\\e]0;title\\x07"
    severity: error
"""


def test_control_characters_in_a_profile_keep_junit_valid(tmp_path: Path, capsys) -> None:
    from lxml import etree

    profile = tmp_path / "evil.yaml"
    profile.write_text(PROFILE)
    record = tmp_path / "r.yaml"
    record.write_text("run: {name: x}\n")
    code, out, err = cli(
        capsys, "check", str(record), "--profile", str(profile), "--format", "junit"
    )
    assert code == 1, err
    tree = etree.fromstring(out.encode())
    (failure,) = tree.iter("failure")
    # characters XML cannot hold are dropped; the rest of the text stays
    assert failure.get("message") == "record the optimizer ]0;title"
    assert tree.get("name") == "repro check evil[31m profile"

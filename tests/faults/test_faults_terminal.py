"""Hostile run names on a terminal and in machine output: `repro runs` in a real terminal
(tmux, read back with capture-pane) shows control characters escaped, never lets the terminal
act on them (clear the screen, set the title, colour text) and never reads rich markup from
data (a ``[link=...]`` name stays text); its tab-separated output keeps one run per line.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

from mlflow import MlflowClient
from support.faults import repro_cli, require_program

HOSTILE = {
    "clear": "\x1b[2J\x1b[Hcleared",
    "title": "\x1b]0;pwned\x07titled",
    "red": "\x1b[31mred\x1b[0m",
    "markup": "[link=https://evil.example]click me[/link]",
    "style": "[bold red]loud[/bold red]",
    "tab": "a\tb",
    "newline": "first\nsecond",
    "bidi": "abc\u202eevil",
    "backslash": "back\\slash",
}
SHOWN = {
    "clear": "\\x1b[2J\\x1b[Hcleared",
    "title": "\\x1b]0;pwned\\x07titled",
    "red": "\\x1b[31mred\\x1b[0m",
    "markup": "[link=https://evil.example]click me[/link]",
    "style": "[bold red]loud[/bold red]",
    "tab": "a\\tb",
    "newline": "first\\nsecond",
    "bidi": "abc\\u202eevil",
    "backslash": "back\\\\slash",
}


def _store(tracking_store: str) -> None:
    client = MlflowClient(tracking_store)
    experiment = client.create_experiment("hostile")
    for name in HOSTILE.values():
        run = client.create_run(experiment, run_name=name)
        client.set_tag(run.info.run_id, "repro.cell_types", "\x1b[5mlstm")


class Tmux:
    """A detached tmux server of our own, one pane of fixed size."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmux = require_program("tmux", "tmux")
        self.socket = f"repro-test-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, command: str) -> None:
        self.run(
            "-f", "/dev/null", "new-session", "-d", "-x", "160", "-y", "50", "-s", "t", command
        )

    def screen(self, *flags: str) -> str:
        return self.run("capture-pane", "-p", "-J", *flags, "-t", "t")  # the visible screen

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([self.tmux, "-L", self.socket, "kill-server"], capture_output=True)


def test_runs_on_a_terminal_escapes_what_the_data_holds(
    tracking_store: str, tmp_path: Path
) -> None:
    _store(tracking_store)
    tmux = Tmux(tmp_path)
    command = (
        f"cd {shlex.quote(str(tmp_path))} && env -u COLUMNS -u LINES "
        f"MLFLOW_TRACKING_URI={shlex.quote(tracking_store)} "
        f"{shlex.quote(sys.executable)} -m repro runs --experiment hostile; "
        "echo END-OF-RUNS; sleep 600"
    )
    try:
        tmux.start(command)
        screen = tmux.wait_for("END-OF-RUNS")
        styled = tmux.screen("-e")
        title = tmux.run("display-message", "-p", "-t", "t", "#{pane_title}")
    finally:
        tmux.close()
    assert "9 runs" in screen and "run id" in screen  # nothing cleared the table's top
    for key, shown in SHOWN.items():
        assert shown in screen, f"{key}: {shown!r} not shown in\n{screen}"
    assert "\\x1b[5mlstm" in screen
    assert "pwned" not in title
    assert "\x1b[31m" not in styled and "\x1b[5m" not in styled  # no colour, no blinking
    assert "\x1b]8;" not in styled  # no hyperlink


def test_tab_separated_runs_keep_one_run_per_line(tracking_store: str, tmp_path: Path) -> None:
    _store(tracking_store)
    done = repro_cli(
        "runs",
        "--experiment",
        "hostile",
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": tracking_store},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert lines[-1] == "" and len(lines) == 1 + len(HOSTILE) + 1
    rows = [line.split("\t") for line in lines[1:-1]]
    assert all(len(row) == 7 for row in rows), rows
    assert sorted(row[1] for row in rows) == sorted(SHOWN.values())
    assert all(row[3] == "\\x1b[5mlstm" for row in rows)
    assert not any(ch in done.stdout for ch in "\x1b\x07\u202e")


def test_error_messages_escape_what_the_data_holds(tmp_path: Path) -> None:
    name = "\x1b]0;pwned\x07\x1b[2Jrecord.yaml"
    done = repro_cli("check", name, "--profile", "ml-reproducibility", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "repro: error: \\x1b]0;pwned\\x07\\x1b[2Jrecord.yaml: no such file\n"

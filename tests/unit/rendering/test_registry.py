"""One registry: a format registered in Python or by an installed package's entry point is
usable from ``repro.render`` and from the CLI, and listed in ``--help``, with no CLI edit."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.paths import CONTRIBUTORS, EXAMPLE

import repro
from repro.cli import main
from repro.record import RunRecord
from repro.rendering.registry import (
    ENTRY_POINT_GROUP,
    OutputFormat,
    formats_of,
    get_format,
    register,
    unregister,
)


def flat(text: str) -> str:
    """Help text with its wrapping undone."""
    return " ".join(text.split())


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def shouting(record: RunRecord, exclaim: int = 1) -> dict[str, object]:
    return {"name": record.run.name.upper(), "marks": "!" * exclaim}


@pytest.fixture
def shout_format(tmp_path: Path) -> Iterator[OutputFormat]:
    templates = tmp_path / "shout-templates"
    templates.mkdir()
    (templates / "shout.txt.j2").write_text("{{ name }}{{ marks }}\n", encoding="utf-8")
    fmt = register(
        OutputFormat(
            name="card-shout",
            document=shouting,
            template="shout.txt.j2",
            accepts=(RunRecord,),
            suffix=".txt",
            media_type="text/plain",
            autoescape=False,
            description="The run's name, shouted.",
            command="card",
            template_dirs=(str(templates),),
        )
    )
    yield fmt
    unregister(fmt.name)


def test_a_registered_format_works_from_python_and_every_cli_path(
    shout_format: OutputFormat,
) -> None:
    record = repro.load_record(EXAMPLE)
    assert repro.render(record, "card-shout", exclaim=3) == "LSTM-ADDING-SEED0!!!\n"
    assert repro.FORMATS["card-shout"] is shout_format
    assert formats_of("card")["shout"] is shout_format
    code, out, _ = run_cli("card", "--help")
    assert code == 0 and "[md|html|shout]" in out and "shout: The run's name, shouted" in flat(out)
    assert run_cli("card", str(EXAMPLE), "--format", "shout") == (0, "LSTM-ADDING-SEED0!\n", "")
    code, out, _ = run_cli("render", "--help")
    assert "card-shout" in out and "The run's name, shouted." in flat(out)
    code, out, _ = run_cli("render", str(EXAMPLE), "-f", "card-shout", "-O", "exclaim=2")
    assert (code, out) == (0, "LSTM-ADDING-SEED0!!\n")


def test_options_a_format_does_not_take_are_refused(shout_format: OutputFormat) -> None:
    code, _, err = run_cli("render", str(EXAMPLE), "-f", "card-shout", "-O", "colour=red")
    assert code == 2 and "does not take option(s) colour; it takes: exclaim" in err
    code, _, err = run_cli("credit", str(CONTRIBUTORS), "-f", "csv", "--style", "degrees")
    assert code == 2 and "--style applies to --format text or bibtex, not csv" in err


def test_the_cli_offers_exactly_the_registered_variants() -> None:
    assert "[text|jats|jsonld|csv|bibtex]" in run_cli("credit", "--help")[1]
    assert "[text|json|github|junit]" in run_cli("check", "--help")[1]
    report = flat(run_cli("report", "--help")[1])
    assert "[results|hparams|methods|expected-max]" in report and "hparams (md, latex)" in report
    assert get_format("check-junit").command == "check"


def test_repro_render_reads_every_kind_of_source(tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "render", str(CONTRIBUTORS), "-f", "credit-text", "-O", "style=role-first"
    )
    assert code == 0 and out == repro.render(
        repro.load_contributors(CONTRIBUTORS), "credit-text", style="role-first"
    )
    code, out, _ = run_cli("render", str(EXAMPLE), str(EXAMPLE), "-f", "results-csv")
    assert code == 0 and out.count("\r\n") == 3  # header + two metrics of one group
    code, _, err = run_cli("render", str(EXAMPLE), "-f", "check-json")
    assert code == 2 and "use `repro check`" in err


PLUGIN = """
from pathlib import Path

from repro.record import RunRecord
from repro.rendering.registry import OutputFormat


def names(record: RunRecord, upper: bool = False) -> dict[str, str]:
    return {"name": record.run.name.upper() if upper else record.run.name}


FORMAT = OutputFormat(
    name="card-names",
    document=names,
    template="names.txt.j2",
    accepts=(RunRecord,),
    suffix=".txt",
    media_type="text/plain",
    autoescape=False,
    description="Only the run's name (from a plugin).",
    command="card",
    template_dirs=(str(Path(__file__).parent / "templates"),),
)
"""


def installed_plugin(site: Path) -> Path:
    """A distribution on ``site`` whose entry point adds ``card-names``, as pip would leave it
    (package, templates, and a .dist-info with entry_points.txt), plus a broken one."""
    package = site / "repro_names_plugin"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    (package / "templates" / "names.txt.j2").write_text("{{ name }}\n", encoding="utf-8")
    for dist, entry in (
        ("repro_names_plugin-0.1", "card-names = repro_names_plugin:FORMAT"),
        ("repro_broken_plugin-0.1", "broken = repro_no_such_module:FORMAT"),
    ):
        info = site / f"{dist}.dist-info"
        info.mkdir()
        name = dist.split("-")[0].replace("_", "-")
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[{ENTRY_POINT_GROUP}]\n{entry}\n", encoding="utf-8"
        )
    return site


def test_an_installed_plugin_registers_through_the_entry_point_group(tmp_path: Path) -> None:
    site = installed_plugin(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }

    def repro_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "repro", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    helped = repro_cli("card", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "[md|html|names]" in helped.stdout
    assert "names: Only the run's name" in flat(helped.stdout)
    shown = repro_cli("card", str(EXAMPLE), "--format", "names")
    assert (shown.returncode, shown.stdout) == (0, "lstm-adding-seed0\n")
    # the broken plugin is reported and skipped; everything else still works
    assert "repro_no_such_module" in shown.stderr and "Traceback" not in shown.stderr
    upper = repro_cli("render", str(EXAMPLE), "-f", "card-names", "-O", "upper=true")
    assert upper.stdout == "LSTM-ADDING-SEED0\n"
    code = textwrap.dedent(
        f"""
        import repro
        record = repro.load_record({str(EXAMPLE)!r})
        print(repro.render(record, "card-names", upper=True), end="")
        print(repro.FORMATS["card-names"].description)
        """
    )
    python = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert python.stdout == "LSTM-ADDING-SEED0\nOnly the run's name (from a plugin).\n"

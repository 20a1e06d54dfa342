"""The render engine: format registry, Jinja environment, template overrides, filters, packaging."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import repro
from repro.errors import UsageError
from repro.files.records import load_contributors
from repro.record import Contributors, RunRecord
from repro.rendering import filters
from repro.rendering.api import render
from repro.rendering.builtin import BUILTIN_FORMATS
from repro.rendering.environment import builtin_template_dir
from repro.rendering.registry import FORMATS, OutputFormat, get_format, register, unregister

ROOT = Path(__file__).resolve().parents[3]
CONTRIBUTORS = ROOT / "examples" / "records" / "contributors.yaml"
CREDIT_FORMATS = ["credit-text", "credit-jats", "credit-jsonld", "credit-csv", "credit-bibtex"]


@pytest.fixture(scope="module")
def people() -> Contributors:
    return load_contributors(CONTRIBUTORS)


@pytest.fixture
def scratch_format(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A format registered for one test (template in a user dir), removed afterwards."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "names.txt.j2").write_text(
        "{% for n in names %}{{ n }}{{ sep }}{% endfor %}\n", encoding="utf-8"
    )

    def document(source: Contributors, sep: str = ";") -> dict[str, object]:
        return {"names": [c.full_name for c in source.contributors], "sep": sep}

    register(
        OutputFormat(
            name="test-names",
            template="mine/names.txt.j2",
            document=document,
            accepts=(Contributors,),
            suffix=".txt",
            media_type="text/plain",
            autoescape=False,
            description="Names, one separator after each.",
        )
    )
    yield "test-names", tmp_path
    unregister("test-names")


# -- registry ---------------------------------------------------------------------------------


def test_builtin_credit_formats_are_registered_and_public() -> None:
    assert set(CREDIT_FORMATS) <= set(FORMATS)
    assert repro.FORMATS is FORMATS
    jats = get_format("credit-jats")
    assert (jats.suffix, jats.media_type, jats.autoescape) == (
        ".xml",
        "application/jats+xml",
        True,
    )
    assert (
        jats in BUILTIN_FORMATS
        and [f.name for f in BUILTIN_FORMATS] == list(FORMATS)[: len(BUILTIN_FORMATS)]
    )


def test_unknown_format_lists_known_ones() -> None:
    with pytest.raises(UsageError) as err:
        get_format("credit-docx")
    assert "credit-docx" in str(err.value)
    assert "credit-jats" in str(err.value)


def test_registering_a_different_format_under_a_taken_name_fails() -> None:
    jats = get_format("credit-jats")
    assert register(jats) is jats  # the same definition again is harmless
    clash = OutputFormat(**{**jats.__dict__, "suffix": ".jats"})
    with pytest.raises(ValueError, match="already registered"):
        register(clash)
    assert get_format("credit-jats") is jats


def test_a_new_format_is_a_document_function_a_template_and_one_registration(
    people: Contributors, scratch_format: tuple[str, Path]
) -> None:
    name, template_dir = scratch_format
    out = render(people, name, template_dir=template_dir, sep=" | ")
    assert out == "Josiah Carberry | Ana María García-López | Wei Chen | "  # trim_blocks


def test_wrong_source_type_and_unknown_option_are_usage_errors(people: Contributors) -> None:
    with pytest.raises(UsageError, match="renders a Contributors or RunRecord, not a dict"):
        render({"contributors": []}, "credit-text")
    with pytest.raises(UsageError, match=r"does not take option\(s\) colour; it takes: style"):
        render(people, "credit-text", colour="red")


def test_repro_render_is_a_plain_function_whatever_was_imported_first(
    people: Contributors,
) -> None:
    """``repro.render`` is the function, not a package, in every import order."""
    code = (
        "import inspect, sys\n"
        "import repro.rendering.api, repro.documents.card, repro.rendering.registry\n"
        "import repro\n"
        "assert inspect.isfunction(repro.render), type(repro.render)\n"
        "from repro import render\n"
        "assert render is repro.rendering.api.render\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert repro.render(people, "credit-text") == render(people, "credit-text")


def test_importing_the_rendering_package_loads_no_matplotlib_or_mlflow() -> None:
    code = (
        "import sys, repro, repro.rendering, repro.rendering.api, repro.documents.credit;"
        "print(sorted(m for m in ('matplotlib', 'mlflow', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- environment and templates ----------------------------------------------------------------


def test_builtins_come_from_the_top_level_templates_directory() -> None:
    found = builtin_template_dir()
    assert (found / "credit" / "jats.xml.j2").is_file()
    assert found == ROOT / "templates"


@pytest.mark.parametrize("fmt", CREDIT_FORMATS)
def test_builtin_templates_also_run_in_the_sandbox(
    people: Contributors, fmt: str, tmp_path: Path
) -> None:
    """With an (empty) user dir every built-in runs in the immutable sandbox, unchanged."""
    assert render(people, fmt, template_dir=tmp_path) == render(people, fmt)


def test_a_user_overrides_one_partial_and_keeps_the_rest(
    people: Contributors, tmp_path: Path
) -> None:
    role = tmp_path / "credit" / "jats" / "role.xml.j2"
    role.parent.mkdir(parents=True)
    role.write_text('    <role content-type="mine">{{ r.name }}</role>\n', encoding="utf-8")
    out = render(people, "credit-jats", template_dir=tmp_path)
    assert '<role content-type="mine">Writing – review &amp; editing</role>' in out
    assert "vocab-term-identifier" not in out
    assert '<contrib-id contrib-id-type="orcid"' in out  # the rest is still the built-in


def test_strict_undefined_names_the_template_and_line(people: Contributors, tmp_path: Path) -> None:
    text = tmp_path / "credit" / "text.txt.j2"
    text.parent.mkdir(parents=True)
    text.write_text("{{ title }}\n{{ no_such_value }}\n", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        render(people, "credit-text", template_dir=tmp_path)
    message = str(err.value)
    assert f"{text}:2" in message
    assert "no_such_value" in message


def test_a_template_syntax_error_is_a_usage_error(people: Contributors, tmp_path: Path) -> None:
    text = tmp_path / "credit" / "text.txt.j2"
    text.parent.mkdir(parents=True)
    text.write_text("ok\n{% for x in %}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"text\.txt\.j2:2: template syntax error"):
        render(people, "credit-text", template_dir=tmp_path)


def test_template_dir_must_be_a_directory(people: Contributors, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a directory"):
        render(people, "credit-text", template_dir=tmp_path / "missing")


def test_autoescape_follows_the_format_flag(people: Contributors, tmp_path: Path) -> None:
    """The same hostile value is escaped by the XML format and left as text by the text one."""
    hostile = people.model_copy(update={"title": "<b>&</b>"})
    for name in ("credit/jats.xml.j2", "credit/text.txt.j2"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{{ title }}\n", encoding="utf-8")
    assert render(hostile, "credit-jats", template_dir=tmp_path) == "&lt;b&gt;&amp;&lt;/b&gt;\n"
    assert render(hostile, "credit-text", template_dir=tmp_path) == "<b>&</b>\n"


def test_bidi_controls_never_reach_the_output(people: Contributors, tmp_path: Path) -> None:
    (tmp_path / "credit").mkdir()
    (tmp_path / "credit" / "text.txt.j2").write_text("[{{ title }}]\n", encoding="utf-8")
    spoof = people.model_copy(update={"title": "abc\u202edcba\u2066x\u2069\u200f"})
    assert render(spoof, "credit-text", template_dir=tmp_path) == "[abcdcbax]\n"


# -- filters ----------------------------------------------------------------------------------


def test_escape_latex_covers_every_special_character() -> None:
    out = filters.escape_latex("a & b % c $ d # e _ f { g } h ~ i ^ j \\ k\nl -- m")
    assert out == (
        r"a \& b \% c \$ d \# e \_ f \{ g \} h \textasciitilde{} i \textasciicircum{} j "
        r"\textbackslash{} k l -{}- m"
    )
    # non-ASCII as LaTeX macros, so pdflatex needs no Unicode set-up (issue 11)
    assert filters.escape_latex("Ünïcødé ∑") == (r"{\"U}n{\"\i}c{\o}d{\'e} {\ensuremath{\sum}}")


def test_escape_bibtex_adds_only_balanced_braces() -> None:
    hostile = "}{ \\} {{{ %&$#_^~"
    out = filters.escape_bibtex(hostile)
    depth = 0
    for char in out:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert out.startswith(r"\textbraceright{}\textbraceleft{} \textbackslash{}\textbraceright{}")


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cell_guards_formulas(cell: str) -> None:
    assert filters.csv_cell(cell) == "'" + cell


def test_csv_row_is_rfc4180_and_round_trips() -> None:
    values = ['say "hi"', "a,b", "two\nlines", None, True, 3, "plain"]
    line = filters.csv_row(values)
    assert line.endswith("\r\n")
    assert next(csv.reader(io.StringIO(line, newline=""))) == [
        'say "hi"',
        "a,b",
        "two\nlines",
        "",
        "true",
        "3",
        "plain",
    ]


def test_json_filter_is_safe_to_embed_in_html() -> None:
    out = filters.to_json({"x": "</script><!-- \u2028 é"})
    assert "</" not in out and "<!--" not in out and "\u2028" not in out
    assert json.loads(out) == {"x": "</script><!-- \u2028 é"}


def test_markdown_escaping_keeps_user_text_inert() -> None:
    assert filters.escape_md("<img src=x> *a* | [l](u)\nb $x$") == (
        r"\<img src=x> \*a\* \| \[l\](u) b \$x\$"  # backslash escapes, no entities (issue 11)
    )
    # readable where nothing could become markup; block markers only at the start
    assert filters.escape_md("lstm-adding (seed 0.001)") == "lstm-adding (seed 0.001)"
    assert filters.escape_md("# title") == r"\# title"
    assert filters.escape_md("- item") == r"\- item"
    assert filters.escape_md("12. point") == r"12\. point"
    assert filters.escape_md("---") == r"\---"
    assert filters.escape_md("0.001") == "0.001" and filters.escape_md("-0.5") == "-0.5"


def test_number_filters() -> None:
    assert filters.sig(0.000123456, 3) == "0.000123"
    assert filters.sig(1234567.0, 3) == "1.23e+06"
    assert filters.sig(0.0) == "0"
    assert filters.sig(12) == "12"
    assert filters.mean_std(0.91234, 0.0123) == "0.912 ± 0.012"
    assert filters.mean_std(12.345, 1.5) == "12.3 ± 1.5"
    assert filters.mean_std(0.5, 0.0) == "0.50 ± 0.00"
    assert filters.join_oxford(["A"]) == "A"
    assert filters.join_oxford(["A", "B"]) == "A and B"
    assert filters.join_oxford(["A", "B", "C"]) == "A, B, and C"


# -- packaging --------------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_ships_templates_and_a_plain_install_finds_them(tmp_path: Path) -> None:
    """`pip install .` (not editable) must find the built-in templates inside the package."""
    source = tmp_path / "src"  # a copy, so no build/ directory is left in the checkout
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            "mlruns",
            ".repro",
            "mlartifacts",
            "mlflow.db",
            "demo-output",
            "artifacts",
        ),
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(tmp_path)],
        check=True,
        cwd=tmp_path,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("repro-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.startswith("repro/templates/")}
    on_disk = {
        "repro/templates/" + p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert on_disk <= shipped
    target = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    code = (
        "import repro, repro.rendering.environment as e;"
        "from repro.files.records import load_contributors;"
        f"c = load_contributors({str(CONTRIBUTORS)!r});"
        "print(repro.__file__); print(e.builtin_template_dir());"
        "print(repro.render(c, 'credit-text', style='role-first'), end='')"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    module_file, template_dir, statement = out.stdout.split("\n", 2)
    assert module_file.startswith(str(target))
    assert template_dir == str(target / "repro" / "templates")
    assert statement.startswith("Conceptualization: Josiah Carberry. Formal analysis:")


def test_a_record_is_accepted_wherever_contributors_are(people: Contributors) -> None:
    record = RunRecord.model_validate(
        {"run": {"name": "run-7"}, "contributors": [c.model_dump() for c in people.contributors]}
    )
    assert render(record, "credit-text") == render(people, "credit-text")

"""User templates (--template-dir) run in Jinja's sandbox: they read values and nothing more."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.files.records import load_contributors
from repro.record import Contributors
from repro.rendering.api import render

ROOT = Path(__file__).resolve().parents[3]
CONTRIBUTORS = ROOT / "examples" / "records" / "contributors.yaml"

ESCAPES = {
    "mro-subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'] }}",
    "joiner-globals": "{{ joiner.__init__.__globals__ }}",
    "format-string": "{{ '{0.__class__.__base__}'.format(title) }}",
    "private-attr": "{{ self._TemplateReference__context }}",
    "mutate-context": "{{ contributors.append(1) }}{{ contributors[0].update(order=9) }}",
    "filter-attr": "{{ contributors|map(attribute='__class__')|first }}",
    "huge-string": "{{ 'x' * 1000000000 }}",
    "huge-power": "{{ 9 ** 9999999 }}",
}


@pytest.fixture(scope="module")
def people() -> Contributors:
    return load_contributors(CONTRIBUTORS)


def user_dir(base: Path, body: str, name: str = "credit/text.txt.j2") -> Path:
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body + "\n", encoding="utf-8")
    return base


@pytest.mark.parametrize("attempt", list(ESCAPES), ids=list(ESCAPES))
def test_user_templates_cannot_reach_python_internals(
    people: Contributors, tmp_path: Path, attempt: str
) -> None:
    with pytest.raises(UsageError) as err:
        render(people, "credit-text", template_dir=user_dir(tmp_path, ESCAPES[attempt]))
    message = str(err.value)
    assert "sandbox forbids" in message
    assert str(tmp_path / "credit" / "text.txt.j2") in message


def test_unsafe_attributes_in_filters_come_back_undefined(
    people: Contributors, tmp_path: Path
) -> None:
    body = "{{ contributors|map(attribute='__class__')|list }}"
    out = render(people, "credit-text", template_dir=user_dir(tmp_path, body))
    assert out == "[Undefined, Undefined, Undefined]\n"


def test_huge_ranges_are_refused(people: Contributors, tmp_path: Path) -> None:
    body = "{% for i in range(10 ** 9) %}{% endfor %}"
    with pytest.raises(UsageError, match="Range too big"):
        render(people, "credit-text", template_dir=user_dir(tmp_path, body))


def test_an_overridden_partial_is_sandboxed_inside_a_builtin(
    people: Contributors, tmp_path: Path
) -> None:
    """Overriding one partial still runs it (and the built-in including it) in the sandbox."""
    base = user_dir(tmp_path, ESCAPES["mro-subclasses"], "credit/jats/role.xml.j2")
    with pytest.raises(UsageError, match="sandbox forbids"):
        render(people, "credit-jats", template_dir=base)


def test_reading_values_and_small_arithmetic_still_work(
    people: Contributors, tmp_path: Path
) -> None:
    body = "{{ title|upper }} {{ contributors|length * 2 }} {{ 'ab' * 2 }} {{ 2 ** 10 }}"
    out = render(people, "credit-text", template_dir=user_dir(tmp_path, body))
    assert out == "RECURRENT BASELINES FOR THE ADDING PROBLEM 6 abab 1024\n"


def test_without_a_user_dir_the_process_is_untouched(people: Contributors) -> None:
    """The built-ins' context is plain data, so even unsandboxed nothing leaks by accident."""
    out = render(people, "credit-text")
    assert "object at 0x" not in out and "<class" not in out


def test_cli_reports_a_sandbox_violation_in_one_paragraph(tmp_path: Path) -> None:
    base = user_dir(tmp_path, ESCAPES["cycler-globals"])
    result = subprocess.run(
        [sys.executable, "-m", "repro", "credit", str(CONTRIBUTORS), "--template-dir", str(base)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("repro: error: ")
    assert "sandbox forbids" in result.stderr and "__init__" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

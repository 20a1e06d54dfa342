"""User templates (--template-dir) against links out of the directory, special files, and CPU,
memory and recursion bombs: each ends in one line on stderr, exit 2, no output and no internal
error, and the process that rendered stays unharmed.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest
from support.faults import repro_cli
from support.paths import CONTRIBUTORS

import repro.rendering.environment as environment
from repro.errors import UsageError
from repro.files.records import load_contributors
from repro.rendering.api import render

TEMPLATE = "credit/text.txt.j2"


def user_dir(base: Path, body: str, name: str = TEMPLATE) -> Path:
    path = base / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body + "\n", encoding="utf-8")
    return base / "templates"


def credit(tmp_path: Path, templates: Path) -> tuple[int, str, str]:
    done = repro_cli("credit", str(CONTRIBUTORS), "--template-dir", str(templates), cwd=tmp_path)
    return done.returncode, done.stdout, done.stderr


def one_line_error(err: str) -> str:
    assert err.startswith("repro: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return err


def test_a_link_out_of_the_template_directory_is_never_followed(tmp_path: Path) -> None:
    templates = user_dir(tmp_path, "{% include 'credit/env.txt' %}")
    os.symlink("/proc/self/environ", templates / "credit" / "env.txt")
    os.environ["REPRO_CANARY_SECRET"] = "canary-Q0Q0"
    try:
        code, out, err = credit(tmp_path, templates)
    finally:
        del os.environ["REPRO_CANARY_SECRET"]
    assert (code, out) == (2, "")
    one_line_error(err)
    assert "canary-Q0Q0" not in err
    assert f"{templates}/credit/env.txt leads to /proc/" in err
    assert f"outside the template directory {templates}" in err


def test_the_overriding_template_itself_may_not_be_a_link_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside.j2"
    outside.write_text("{{ title }} from outside\n")
    (tmp_path / "templates" / "credit").mkdir(parents=True)
    os.symlink(outside, tmp_path / "templates" / TEMPLATE)
    code, out, err = credit(tmp_path, tmp_path / "templates")
    assert (code, out) == (2, "")
    assert "outside the template directory" in one_line_error(err)


def test_a_linked_directory_out_of_it_is_refused_and_links_within_are_fine(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "part.txt").write_text("secret part")
    templates = user_dir(tmp_path, "{% include 'linked/part.txt' %}")
    os.symlink(elsewhere, templates / "linked")
    code, _, err = credit(tmp_path, templates)
    assert code == 2 and "outside the template directory" in one_line_error(err)
    (templates / "parts").mkdir()
    (templates / "parts" / "real.txt").write_text("inside")
    os.symlink(templates / "parts" / "real.txt", templates / "parts" / "alias.txt")
    user_dir(tmp_path, "{% include 'parts/alias.txt' %}")
    code, out, err = credit(tmp_path, templates)
    assert (code, out) == (0, "inside\n"), err


def test_a_fifo_in_the_template_directory_is_refused_without_waiting(tmp_path: Path) -> None:
    templates = user_dir(tmp_path, "{% include 'credit/pipe.txt' %}")
    os.mkfifo(templates / "credit" / "pipe.txt")
    code, _, err = credit(tmp_path, templates)
    assert code == 2 and "pipe.txt is not a regular file" in one_line_error(err)


BOMBS = {
    "huge-center": ("{{ 'x'|center(5000000000) }}", "rendering needed more than 1024 MiB"),
    "huge-format-width": ("{{ '{:5000000000}'.format('x') }}", "rendering needed more than"),
    "percent-width": ("{{ '%500000000s'|format('x') }}", "the output is larger than 20,000,000"),
    "wide-output": (
        "{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}",
        "the output is larger than 20,000,000 characters",
    ),
    "self-include": ("{% include 'credit/text.txt.j2' %}", "templates nest too deeply"),
    "self-extends": ("{% extends 'credit/text.txt.j2' %}", "templates nest too deeply"),
    "recursive-macro": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "nest too deeply"),
    "wrong-type": ("{{ 'x'|center('wide') }}", "template error: TypeError:"),
    "division": ("{{ 1 // 0 }}", "template error: ZeroDivisionError: integer division"),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_resource_bombs_end_in_one_line(bomb: str, tmp_path: Path) -> None:
    body, message = BOMBS[bomb]
    code, out, err = credit(tmp_path, user_dir(tmp_path, body))
    assert (code, out) == (2, "")
    assert message in one_line_error(err), err


@pytest.fixture
def people():
    return load_contributors(CONTRIBUTORS)


def test_nested_loops_stop_at_the_time_limit(
    people, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(environment, "RENDER_TIME_LIMIT_S", 1.0)
    body = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(UsageError) as raised:
        render(people, "credit-text", template_dir=user_dir(tmp_path, body))
    assert "rendering took longer than 1 s" in str(raised.value)
    # the renderer's own process never ran the template: its limits and memory are untouched
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY


def test_errors_still_name_the_file_and_line(people, tmp_path: Path) -> None:
    body = "first line\n{{ no_such_value }}"
    with pytest.raises(UsageError) as raised:
        render(people, "credit-text", template_dir=user_dir(tmp_path, body))
    assert str(raised.value).startswith(f"{tmp_path}/templates/{TEMPLATE}:2: ")
    assert "undefined value" in str(raised.value)


def test_ordinary_user_templates_render_as_before(people, tmp_path: Path) -> None:
    body = "{% for c in contributors %}{{ c.full_name }};{% endfor %} {{ 'ab' * 2 }} {{ 2 ** 5 }}"
    out = render(people, "credit-text", template_dir=user_dir(tmp_path, body))
    assert out.endswith(" abab 32\n") and out.count(";") == len(people.contributors)

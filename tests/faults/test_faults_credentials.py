"""No credential reaches a journal, record, artifact, tag, card, log line or error message.

Redaction is tested against generated corpora (hypothesis): argument shapes (``--name X``,
``--name=X``, ``--name:X``, ``-p X``, Hydra ``name=X``, JSON and YAML inside arguments, curl's
``user:X``, URLs whose password holds ``#``, ``/``, ``?`` or ``@``), secret names in every
spelling, allow-listed environment variables carrying secrets, and git remotes. Then a real
training process with planted secrets in argv, environment, git remote and its own tracking
URI (``http://user:password@...``, which must work) is searched everywhere its run left text.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.faults import repro_cli
from support.paths import EXAMPLE
from support.servers import MlflowServer, free_port

from repro.capture.environment import capture_variables
from repro.capture.redact import redact_argv, redact_text, redact_url, redact_value
from repro.cli import main

# -- the corpus ------------------------------------------------------------------------------

WORDS = [
    ["password"], ["passwd"], ["pass"], ["pw"], ["pwd"], ["passphrase"], ["secret"], ["token"],
    ["api", "key"], ["apikey"], ["access", "key"], ["secret", "key"], ["private", "key"],
    ["client", "secret"], ["auth", "token"], ["credentials"], ["key"], ["sas"], ["cookie"],
    ["bearer"], ["jwt"], ["auth"], ["signature"], ["access", "token"], ["refresh", "token"],
]  # fmt: skip
PREFIXES = ["", "db", "my", "wandb", "hf", "openai", "mlflow", "azure", "redis", "s3", "comet"]
STYLES = ("kebab", "snake", "dot", "camel", "upper")
# Secret text: runs of these characters are what must never appear in any output.
MARK = "QXZ0123456789"
SPECIALS = "#/?@:!$%&*()[]{}=+,;-~^'\"<>|\\"


@st.composite
def secret_names(draw: st.DrawFn) -> str:
    words = [
        *([draw(st.sampled_from(PREFIXES))] if draw(st.booleans()) else []),
        *draw(st.sampled_from(WORDS)),
    ]
    words = [w for w in words if w] or ["password"]
    if words[-1] == "key" and len(words) == 1 and draw(st.booleans()):
        words = ["wandb", "key"]
    style = draw(st.sampled_from(STYLES))
    if style == "kebab":
        return "-".join(words)
    if style == "snake":
        return "_".join(words)
    if style == "dot":
        return ".".join(words)
    if style == "upper":
        return "_".join(words).upper()
    return words[0] + "".join(w.capitalize() for w in words[1:])


def secret_values(specials: str = SPECIALS, *, dash_start: bool = True) -> st.SearchStrategy[str]:
    """``Q`` + marked runs with special characters between them (maybe starting with ``--``)."""
    run = st.text(MARK, min_size=3, max_size=8).map(lambda r: "Q" + r)
    gap = st.text(specials, min_size=0, max_size=3) if specials else st.just("")
    body = st.lists(st.tuples(run, gap), min_size=1, max_size=3).map(
        lambda parts: "".join(r + g for r, g in parts)
    )
    if not dash_start:
        return body
    return st.tuples(st.booleans(), body).map(lambda t: ("--" if t[0] else "") + t[1])


def leaked(secret: str, text: str) -> list[str]:
    """Marked runs of ``secret`` (3+ characters) found in ``text``."""
    return [r for r in re.findall(f"[{MARK}Q]{{3,}}", secret) if r in text]


NOISE = ["--lr", "0.1", "--epochs=3", "data/train.csv", "--hidden-size", "128", "seed=1"]
URL_SAFE = "#/?@:!$&*()+,;=~-"


@st.composite
def argv_with_secret(draw: st.DrawFn) -> tuple[list[str], str]:
    name = draw(secret_names())
    shape = draw(st.integers(0, 15))
    if shape in (10, 11):
        value = draw(secret_values(URL_SAFE, dash_start=False))
    elif shape in (8, 9, 12, 13):
        value = draw(secret_values("#/?@:!$%&*()-~^=+", dash_start=False))
    else:
        value = draw(secret_values())
    nested = {name: value}
    for _ in range(draw(st.integers(0, 2))):
        nested = {"outer": nested, "lr": 0.1}
    args = {
        0: [f"--{name}", value],
        1: [f"--{name}={value}"],
        2: [f"--{name}:{value}"],
        3: [f"-{name}", value],
        4: [f"{name}={value}"],
        5: [f"+{name}={value}"],
        6: [f"++{name}={value}"],
        7: ["-p", value],
        8: [f"-p{value}"],
        9: ["--config", json.dumps(nested)],
        10: [f"https://user:{value}@host.example.org/repo.git"],
        11: [f"postgresql+psycopg://mlflow:{value}@db.example.org:5432/mlflow"],
        12: [f"--config={json.dumps(nested)}"],
        13: [f"+db={{{name}: {value}, host: h}}"],
        14: ["--user", f"bob:{value}"],
        15: [f"https://host.example.org/x?{name}={value.replace('&', '')}&page=2"],
    }[shape]
    before = draw(st.lists(st.sampled_from(NOISE), max_size=3))
    after = draw(st.lists(st.sampled_from(NOISE), max_size=3))
    return ["train.py", *before, *args, *after], value


# 400 examples a corpus in CI; REPRO_CORPUS_EXAMPLES=20000 for a deeper search by hand.
FAST = settings(
    max_examples=int(os.environ.get("REPRO_CORPUS_EXAMPLES", "400")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FAST
@given(argv_with_secret())
def test_argv_corpus_leaks_nothing(case: tuple[list[str], str]) -> None:
    argv, secret = case
    redacted = redact_argv(argv)
    assert not leaked(secret, " ".join(redacted)), (argv, redacted)
    assert len(redacted) == len(argv)


@FAST
@given(
    st.sampled_from(["https", "http", "git+https", "postgresql", "ssh", "ftp"]),
    st.text("abcdefgh", min_size=1, max_size=6),
    secret_values(URL_SAFE, dash_start=False),
    st.booleans(),
)
def test_url_password_corpus_leaks_nothing(
    scheme: str, user: str, password: str, drop: bool
) -> None:
    url = f"{scheme}://{user}:{password}@host.example.org:8443/org/repo.git"
    out = redact_url(url, drop_userinfo=drop)
    assert not leaked(password, out), (url, out)
    assert out.endswith("host.example.org:8443/org/repo.git"), out
    assert not leaked(password, redact_text(f"see {url} for details"))


ALLOWED = ["MLFLOW_TRACKING_URI", "SLURM_JOB_NAME", "CUDA_VISIBLE_DEVICES", "TORCH_HOME_X"]


@FAST
@given(
    st.sampled_from(["NCCL_", "TORCH_", "PYTORCH_"]),
    secret_names(),
    st.sampled_from(ALLOWED),
    st.integers(0, 3),
    secret_values("#/?@:!$*()-~", dash_start=False),
)
def test_environment_corpus_leaks_nothing(
    prefix: str, name: str, carrier: str, shape: int, secret: str
) -> None:
    text = [
        f"http://svc:{secret}@10.0.0.1:5000",
        f"job password={secret} rest",
        json.dumps({"token": secret}),
        f"https://h/x?sig={secret.replace('&', '')}",
    ][shape]
    environ = {
        prefix + re.sub(r"[^A-Za-z0-9]", "_", name).upper(): secret,  # allowed by prefix
        carrier: text,
        "AWS_SECRET_ACCESS_KEY": secret,  # never allow-listed
    }
    captured = capture_variables(environ)
    assert not leaked(secret, json.dumps(captured)), (environ, captured)
    assert not leaked(secret, redact_value(carrier, text))


@FAST
@given(secret_values(URL_SAFE, dash_start=False))
def test_git_remote_corpus_leaks_nothing(password: str) -> None:
    remote = f"https://oauth2:{password}@gitlab.example.org/group/repo.git"
    assert redact_url(remote, drop_userinfo=True) == "https://gitlab.example.org/group/repo.git"


# -- a real run with planted secrets -----------------------------------------------------------

PLANTED = {
    "S01": ["--password", "Q0S01pw"],
    "S02": ["--pass", "Q0S02--starts-with-dashes"],
    "S03": ["--pw=Q0S03"],
    "S04": ["-p", "Q0S04"],
    "S05": ["--wandb-key", "Q0S05"],
    "S06": ["--password:Q0S06"],
    "S07": ['--config={"db": {"password": "Q0S07"}, "lr": 0.1}'],
    "S08": ["db.password=Q0S08"],
    "S09": ["+auth={token: Q0S09, user: me}"],
    "S10": ["https://me:Q0S10#x@host.example.org/data.tar"],
    "S11": ["--user", "bob:Q0S11"],
    "S12": ["--hf-token", "hf_Q0S12abcdefghijklmnopqrstu"],
}
TRACKED = """
import sys
import repro
record = repro.load_record(sys.argv[-1])
record.environment = None
record.provenance = None
with repro.track(record, experiment="secrets") as run:
    for step in range(20):
        run.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
    run.set_result("mse", 0.5, split="test")
print(run.run_id, flush=True)
"""
SECRETS = ["Q0S01", "Q0S02", "Q0S03", "Q0S04", "Q0S05", "Q0S06", "Q0S07", "Q0S08", "Q0S09",
           "Q0S10", "Q0S11", "Q0S12", "Q0URIPW", "Q0GITPW", "Q0ENVPW", "Q0TOKEN"]  # fmt: skip


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def _files_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    )


@pytest.mark.server
@pytest.mark.postgres
def test_a_run_with_planted_secrets_leaves_none_anywhere(
    mlflow_server: MlflowServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlflow import MlflowClient

    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://me:Q0GITPW#x@github.com/o/r.git"],
        cwd=work,
        check=True,
    )
    (work / "train.py").write_text("print(1)\n")
    subprocess.run(["git", "add", "train.py"], cwd=work, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-qm", "c"],
        cwd=work,
        check=True,
    )
    host = mlflow_server.url.removeprefix("http://")
    uri = f"http://me:Q0URIPW@{host}"  # MLflow sends it as basic auth: it must work
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "MLFLOW_TRACKING_PASSWORD": "Q0ENVPW",
        "MLFLOW_TRACKING_TOKEN": "Q0TOKEN",
        "SLURM_JOB_NAME": "train password=Q0S13",
    }
    argv = [arg for args in PLANTED.values() for arg in args]
    done = subprocess.run(
        [sys.executable, "-c", TRACKED, *argv, str(EXAMPLE)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.split()[-1]
    assert not run_id.startswith("local-"), done.stderr  # the user:password URI worked

    outputs = {"trainer stderr": done.stderr, "journal": _files_text(work / ".repro")}
    client = MlflowClient(mlflow_server.url)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    outputs["tags"] = json.dumps(run.data.tags)
    outputs["params"] = json.dumps(run.data.params)
    local = client.download_artifacts(run_id, "", str(tmp_path / "artifacts"))
    outputs["artifacts"] = _files_text(Path(local))
    monkeypatch.chdir(work)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    for args in (
        ["export", run_id],
        ["card", f"runs:/{run_id}"],
        ["card", f"runs:/{run_id}", "--format", "html"],
        ["runs", "--experiment", "secrets"],
        ["sync"],
        ["check", f"runs:/{run_id}", "--profile", "ml-reproducibility"],
    ):
        code, out, err = cli(capsys, *args)
        assert code in (0, 1), (args, err)
        outputs[" ".join(args)] = out + err
        if args[0] == "export":
            exported = json.loads(out)
    outputs["model card artifact"] = client.download_artifacts(
        run_id, "repro/model_card.html", str(tmp_path / "card")
    )
    outputs["model card artifact"] = Path(outputs["model card artifact"]).read_text()
    command = exported["provenance"]["command"]
    assert command[1:4] == ["--password", "***", "--pass"]  # the rest of the line is kept
    for where, text in outputs.items():
        found = [s for s in [*SECRETS, "Q0S13"] if s in text]
        assert not found, f"{found} leaked into {where}"


@pytest.mark.parametrize(
    "uri",
    [
        "http://me:Q0PW1@127.0.0.1:{port}",
        "postgresql+psycopg://me:Q0PW2@127.0.0.1:{port}/mlflow",
        "postgresql+psycopg://postgres:Q0PW3@127.0.0.1:5432/no_such_database_here",
    ],
    ids=["http", "postgresql-down", "postgresql-no-database"],
)
def test_unreachable_stores_fail_once_without_the_password(
    uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    uri = uri.format(port=free_port())
    password = re.search(r"Q0PW\d", uri).group(0)  # type: ignore[union-attr]
    done = repro_cli("runs", "--tracking-uri", uri, cwd=tmp_path)  # the real stderr: one line
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("repro: error: "), done.stderr
    assert "cannot reach the MLflow tracking store at" in done.stderr
    assert password not in done.stdout + done.stderr
    monkeypatch.chdir(tmp_path)
    for args in (["export", "a" * 32], ["log", str(EXAMPLE)], ["card", "runs:/" + "b" * 32]):
        code, out, err = cli(capsys, *args, "--tracking-uri", uri)
        assert code == 2 and password not in out + err, (args, err)
        assert err.count("\n") == 1 and "cannot reach the MLflow tracking store at" in err
    code, out, _ = cli(capsys, "sync", "--tracking-uri", uri)
    assert code == 0 and "0 runs synced" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == []

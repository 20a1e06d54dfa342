"""Environment and provenance capture, redaction, and planted secrets that must never leak."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

import repro
from repro import RunRecord
from repro.capture.environment import capture_environment, capture_variables
from repro.capture.provenance import capture_git, capture_provenance
from repro.capture.redact import MASK, is_secret_name, redact_argv, redact_url, redact_value
from repro.files.records import dump_record

SECRETS = (
    "hunter2",
    "abc123tok",
    "pw9secret",
    "zzz-query-token",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMIbPxRfiCYEXAMPLEKEY",
    "mlflow-token-value",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "remotepass",
    "db-pass-77",
)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit, a branch and a remote holding credentials."""
    assert shutil.which("git"), "git must be installed for provenance tests"
    root = tmp_path / "project"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@example.org")
    _git(root, "config", "user.name", "Test")
    _git(root, "config", "commit.gpgsign", "false")
    (root / "train.py").write_text("print('train')\n")
    (root / ".gitignore").write_text("*.ckpt\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    _git(root, "remote", "add", "origin", "https://alice:remotepass@git.example.org/lab/rnn.git")
    return root


# -- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@host/x?token=zzz", "https://***@host/x?token=***"),
        ("https://ghp_tokenasuser@github.com/o/r.git", "https://***@github.com/o/r.git"),
        # an unencoded "#" may be part of the secret value: the fragment after it is masked
        ("http://h/p?page=2&api_key=k&sig=s#frag", "http://h/p?page=2&api_key=***&sig=***#***"),
        ("http://h/p?sig=s&page=2#frag", "http://h/p?sig=***&page=2#frag"),
        ("https://h/cb#access_token=t&state=1", "https://h/cb#access_token=***&state=1"),
        (
            "https://b.s3.amazonaws.com/o?X-Amz-Credential=c&X-Amz-Signature=s",
            "https://b.s3.amazonaws.com/o?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        ("postgresql://u:p@db:5432/mlflow", "postgresql://***@db:5432/mlflow"),
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_drop_userinfo_for_remotes() -> None:
    assert redact_url("https://u:p@h/r.git", drop_userinfo=True) == "https://h/r.git"
    assert redact_url("ssh://git:pw@h/r.git", drop_userinfo=True) == "ssh://h/r.git"
    assert redact_url("ssh://git@h/r.git", drop_userinfo=True) == "ssh://git@h/r.git"


def test_secret_names() -> None:
    for name in (
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "MLFLOW_TRACKING_PASSWORD",
        "PGPASSWORD",
        "--api-key",
        "apiKey",
        "db.password",
        "key",
        "client_secret",
        "HF_TOKEN",
    ):
        assert is_secret_name(name), name
    for name in ("max_tokens", "tokenizer", "key_dim", "--password-file", "CUDA_VISIBLE_DEVICES"):
        assert not is_secret_name(name), name


def test_redact_argv_forms() -> None:
    argv = [
        "train.py",
        "--password",
        "hunter2",
        "--token=abc123tok",
        "https://user:pw9secret@host/x?token=zzz-query-token",
        "db.password=db-pass-77",
        "--api-key",
        "-starts-with-dash",
        "--max-tokens",
        "100",
        "--tokenizer",
        "bpe",
        "lr=0.1",
        "--secret",
        "--lr",
        "1e-3",
    ]
    assert redact_argv(argv) == [
        "train.py",
        "--password",
        MASK,
        f"--token={MASK}",
        f"https://{MASK}@host/x?token={MASK}",
        f"db.password={MASK}",
        "--api-key",
        MASK,
        "--max-tokens",
        "100",
        "--tokenizer",
        "bpe",
        "lr=0.1",
        "--secret",
        MASK,  # a secret may itself start with "--": the value after a secret flag is masked
        "1e-3",
    ]


def test_redact_value_and_token_shapes() -> None:
    assert redact_value("GITHUB_TOKEN", "x") == MASK
    assert redact_value("GITHUB_TOKEN", "") == ""
    assert redact_value("MLFLOW_TRACKING_URI", "http://u:p@h:5000") == f"http://{MASK}@h:5000"
    assert redact_value("NOTE", "see ghp_0123456789abcdefghijklmnopqrstuvwxyz") == f"see {MASK}"
    assert redact_argv(["--note", "AKIAIOSFODNN7EXAMPLE"]) == ["--note", MASK]


# -- environment ----------------------------------------------------------------------------


def test_environment_facts() -> None:
    env = capture_environment()
    assert env.python and env.os and env.cpu_count
    assert env.torch == torch.__version__
    assert env.device is not None
    assert env.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert env.packages["pydantic"]
    assert env.packages["repro"] == repro.__version__
    assert (
        "not-an-installed-distribution"
        not in capture_environment(packages=["not-an-installed-distribution"]).packages
    )
    det = env.determinism
    assert det is not None
    assert det.use_deterministic_algorithms == torch.are_deterministic_algorithms_enabled()
    assert det.cudnn_enabled == torch.backends.cudnn.enabled


def test_only_allow_listed_variables_are_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    monkeypatch.setenv("TORCH_SHOW_CPP_STACKTRACES", "1")
    monkeypatch.setenv("HOME_DIRECTORY_NOTE", "not allow-listed")
    monkeypatch.setenv("MY_RUN_TAG", "b7")
    variables = capture_environment(variables=["MY_RUN_TAG"]).variables
    assert variables["OMP_NUM_THREADS"] == "4"
    assert variables["TORCH_SHOW_CPP_STACKTRACES"] == "1"
    assert variables["MY_RUN_TAG"] == "b7"
    assert "HOME_DIRECTORY_NOTE" not in variables
    assert "PATH" not in variables
    # an allow-listed prefix does not let a secret through
    assert capture_variables({"TORCH_HUB_TOKEN": "x1"}) == {"TORCH_HUB_TOKEN": MASK}


def test_environment_records_determinism_and_cublas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    env = capture_environment()
    assert env.determinism is not None
    assert env.determinism.cublas_workspace_config == ":16:8"
    assert env.variables["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


# -- git provenance -------------------------------------------------------------------------


def test_git_commit_branch_remote_and_clean_state(repo: Path) -> None:
    git = capture_git(repo)
    assert git is not None
    assert git.commit == _git(repo, "rev-parse", "HEAD")
    assert git.branch == "main"
    assert git.remote == "https://git.example.org/lab/rnn.git"
    assert git.dirty is False
    assert git.diff_sha256 is None
    assert capture_git(repo / ".git" / "..") == git  # any path inside the tree
    assert capture_git(repo / "train.py") == git  # or a file in it


def test_diff_digest_follows_the_diff(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    first = capture_git(repo)
    assert first is not None and first.dirty and first.diff_sha256
    diff = subprocess.run(
        ["git", "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout
    assert first.diff_sha256 == hashlib.sha256(diff).hexdigest()
    assert capture_git(repo) == first  # stable while nothing changes

    (repo / "train.py").write_text("print('changed again')\n")
    second = capture_git(repo)
    assert second is not None and second.diff_sha256 != first.diff_sha256

    _git(repo, "add", "train.py")  # staged changes still count against HEAD
    assert capture_git(repo) == second

    (repo / "new_module.py").write_text("x = 1\n")  # untracked source file
    third = capture_git(repo)
    assert third is not None and third.diff_sha256 not in (first.diff_sha256, second.diff_sha256)
    (repo / "new_module.py").write_text("x = 2\n")
    fourth = capture_git(repo)
    assert fourth is not None and fourth.diff_sha256 != third.diff_sha256

    (repo / "model.ckpt").write_bytes(b"\0" * 10)  # ignored files do not count
    assert capture_git(repo) == fourth


def test_untracked_file_alone_makes_it_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("n")
    git = capture_git(repo)
    assert git is not None and git.dirty and git.diff_sha256


def test_detached_head_has_no_branch(repo: Path) -> None:
    commit = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "--detach", commit)
    git = capture_git(repo)
    assert git is not None
    assert (git.commit, git.branch) == (commit, None)


def test_no_repository_or_no_commit_gives_none(tmp_path: Path) -> None:
    assert capture_git(tmp_path) is None
    _git(tmp_path, "init", "-q")
    assert capture_git(tmp_path) is None  # no commit yet
    assert capture_provenance(tmp_path, argv=["x"]).git is None


def test_git_missing_gives_none(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo))  # a PATH where no git program exists
    assert capture_git(repo) is None


def test_provenance_command_and_working_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setattr("sys.argv", ["train.py", "--token", "abc123tok", "--seed", "0"])
    prov = capture_provenance()
    assert prov.command == ["train.py", "--token", MASK, "--seed", "0"]
    assert prov.working_directory == str(repo)
    assert prov.git is not None and prov.git.branch == "main"


# -- planted secrets ------------------------------------------------------------------------


def test_planted_secrets_never_reach_the_record(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIbPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mlflow-token-value")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_0123456789abcdefghijklmnopqrstuvwxyz")
    # allow-listed variables whose values carry credentials
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://bob:pw9secret@mlflow.example.org/")
    monkeypatch.setenv("TORCH_HUB_TOKEN", "abc123tok")
    monkeypatch.setenv("NCCL_SOCKET_IFNAME", "eth0")
    (repo / "train.py").write_text("print('dirty')\n")
    argv = [
        "train.py",
        "--password",
        "hunter2",
        "--token=abc123tok",
        "https://user:pw9secret@host/x?token=zzz-query-token",
        "db.password=db-pass-77",
    ]
    record = RunRecord(
        run={"name": "secrets"},
        environment=repro.capture_environment(),
        provenance=repro.capture_provenance(repo, argv=argv),
    )
    text = record.to_json() + dump_record(record, "yaml") + record.model_dump_json()
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
    # the record still says what it should, with the secrets masked
    assert record.environment is not None
    assert record.environment.variables["MLFLOW_TRACKING_URI"] == (
        f"https://{MASK}@mlflow.example.org/"
    )
    assert record.environment.variables["NCCL_SOCKET_IFNAME"] == "eth0"
    assert "GITHUB_TOKEN" not in record.environment.variables
    assert record.provenance is not None and record.provenance.git is not None
    assert record.provenance.git.remote == "https://git.example.org/lab/rnn.git"
    assert record.provenance.git.dirty is True
    assert record.provenance.command is not None and "--password" in record.provenance.command
    assert os.environ["GITHUB_TOKEN"].startswith("ghp_")  # capture changed nothing

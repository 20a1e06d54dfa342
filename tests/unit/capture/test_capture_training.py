"""Capture of optimizer, LR schedule, initialisation (forget-gate bias) and dataset digests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from repro import InvalidInputError, RunRecord
from repro.capture.training import (
    capture_dataset,
    capture_initialisation,
    capture_lr_schedule,
    capture_optimizer,
    dataset_sha256,
)


def _params() -> list[nn.Parameter]:
    return list(nn.Linear(3, 2).parameters())


def test_adam_every_setting_json_safe() -> None:
    opt = torch.optim.Adam(_params(), lr=3e-4, betas=(0.8, 0.95), eps=1e-7, weight_decay=0.01)
    captured = capture_optimizer(opt)
    assert captured.name == "Adam"
    s = captured.settings
    assert (s["lr"], s["betas"], s["eps"], s["weight_decay"]) == (3e-4, [0.8, 0.95], 1e-7, 0.01)
    assert s["amsgrad"] is False
    assert "params" not in s
    assert "param_groups" not in s  # one group, nothing overridden
    # every default torch knows is there, and the whole thing is plain JSON
    assert set(s) == set(opt.defaults) - {"params"}
    assert json.loads(json.dumps(s)) == s


def test_sgd_with_tensor_lr_and_param_groups() -> None:
    a, b = nn.Linear(2, 2), nn.Linear(2, 1)
    opt = torch.optim.SGD(
        [{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.5, "momentum": 0.0}],
        lr=torch.tensor(0.1),
        momentum=0.9,
        nesterov=True,
    )
    s = capture_optimizer(opt).settings
    assert s["lr"] == pytest.approx(0.1)
    assert isinstance(s["lr"], float)
    assert (s["momentum"], s["nesterov"]) == (0.9, True)
    assert s["param_groups"] == [{"parameters": 6}, {"parameters": 3, "lr": 0.5, "momentum": 0.0}]


def test_scheduler_moves_lr_but_initial_lr_is_recorded() -> None:
    opt = torch.optim.SGD(_params(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.5
    assert "param_groups" not in capture_optimizer(opt).settings


def test_lr_schedules() -> None:
    opt = torch.optim.Adam(_params(), lr=1e-3)
    cosine = capture_lr_schedule(
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2000, eta_min=1e-5), interval="step"
    )
    assert cosine.name == "CosineAnnealingLR"
    assert cosine.settings == {"T_max": 2000, "eta_min": 1e-5}
    assert cosine.interval == "step"

    plateau = capture_lr_schedule(
        torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.2, patience=3, min_lr=1e-6)
    )
    assert plateau.settings["factor"] == 0.2
    assert plateau.settings["patience"] == 3
    assert plateau.settings["min_lr"] == 1e-6
    assert plateau.settings["mode"] == "min"

    opt2 = torch.optim.SGD(_params(), lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt2, start_factor=0.1, total_iters=5)
    decay = torch.optim.lr_scheduler.ExponentialLR(opt2, gamma=0.9)
    seq = capture_lr_schedule(
        torch.optim.lr_scheduler.SequentialLR(opt2, [warm, decay], milestones=[5]),
        warmup_steps=5,
    )
    assert seq.settings["milestones"] == [5]
    assert [m["name"] for m in seq.settings["schedulers"]] == ["LinearLR", "ExponentialLR"]
    assert seq.settings["schedulers"][1]["settings"] == {"gamma": 0.9}
    assert seq.warmup_steps == 5

    one_cycle = capture_lr_schedule(
        torch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=0.3, total_steps=100),
        settings={"pct_start": 0.3, "total_steps": 100},
    )
    assert one_cycle.settings["max_lr"] == 0.3  # kept in the optimizer's groups
    assert one_cycle.settings["pct_start"] == 0.3  # not kept by torch: given by the user
    assert one_cycle.settings["total_steps"] == 100
    json.dumps([seq.settings, one_cycle.settings, plateau.settings])


def test_wrong_objects_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"expected a torch\.optim\.Optimizer"):
        capture_optimizer(object())
    with pytest.raises(InvalidInputError, match=r"expected a torch\.optim\.lr_scheduler"):
        capture_lr_schedule(object())


def test_forget_gate_bias_is_b_ih_plus_b_hh_on_the_forget_slice() -> None:
    model = nn.Sequential(nn.LSTM(3, 4, num_layers=2, bidirectional=True), nn.Linear(8, 1))
    lstm = model[0]
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias"):
                param.zero_()
                param[4:8] = 1.0  # forget gate: gates are ordered i, f, g, o
    init = capture_initialisation(model, scheme="zeros+forget1")
    assert init.scheme == "zeros+forget1"
    assert init.forget_gate_bias == 2.0  # both biases count
    assert init.details == {}

    # only b_ih set -> effective 1.0; other gates' values never enter
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_hh"):
                param.fill_(5.0)
                param[4:8] = 0.0
    assert capture_initialisation(model).forget_gate_bias == 1.0

    # one layer differs -> mean over units, with the range in details
    with torch.no_grad():
        lstm.bias_ih_l1[4:8] = 3.0
    init = capture_initialisation(model)
    assert init.forget_gate_bias == pytest.approx((1.0 * 3 + 3.0) / 4)
    assert (init.details["forget_gate_bias_min"], init.details["forget_gate_bias_max"]) == (
        1.0,
        3.0,
    )


def test_forget_gate_bias_absent_without_biased_lstm() -> None:
    assert capture_initialisation(nn.GRU(2, 3)).forget_gate_bias is None
    assert capture_initialisation(nn.LSTM(2, 3, bias=False)).forget_gate_bias is None
    cell = nn.LSTMCell(2, 3)
    with torch.no_grad():
        cell.bias_ih.fill_(0.5)
        cell.bias_hh.fill_(0.25)
    assert capture_initialisation(cell).forget_gate_bias == 0.75


def test_default_init_forget_bias_is_measured_not_assumed() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 32)
    expected = (lstm.bias_ih_l0[32:64] + lstm.bias_hh_l0[32:64]).double().mean().item()
    assert capture_initialisation(lstm).forget_gate_bias == pytest.approx(expected, abs=1e-12)


def test_dataset_digest_stable_and_sensitive() -> None:
    x = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    y = torch.tensor([0, 1, 1, 0])
    first = dataset_sha256([x, y])
    assert first == dataset_sha256([x.clone(), y.clone()])
    assert first == dataset_sha256([x.numpy(), y.numpy()])  # same dtype/shape/values
    assert first == dataset_sha256(torch.utils.data.TensorDataset(x, y))
    changed = x.clone()
    changed[2, 3] += 1
    assert dataset_sha256([changed, y]) != first
    assert dataset_sha256([x.reshape(6, 4), y]) != first  # shape is part of the content
    assert dataset_sha256([x.double(), y]) != first  # dtype too
    assert dataset_sha256([y, x]) != first  # and order
    assert dataset_sha256(x.t()) == dataset_sha256(x.t().contiguous())  # layout is not
    assert dataset_sha256(np.arange(3, dtype=">i4")) == dataset_sha256(np.arange(3, dtype="<i4"))


def test_dataset_digest_of_files_and_directories(tmp_path: Path) -> None:
    file = tmp_path / "train.txt"
    file.write_bytes(b"hello\nworld\n")
    # a single file or bytes digests like sha256sum, so published checksums match
    plain = hashlib.sha256(b"hello\nworld\n").hexdigest()
    assert dataset_sha256(file) == plain
    assert dataset_sha256(str(file)) == plain
    assert dataset_sha256(b"hello\nworld\n") == plain

    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.txt").write_text("beta")
    before = dataset_sha256(root)
    assert dataset_sha256(root) == before
    (root / "sub" / "b.txt").write_text("betA")
    assert dataset_sha256(root) != before
    (root / "sub" / "b.txt").write_text("beta")
    (root / "sub" / "b.txt").rename(root / "sub" / "c.txt")
    assert dataset_sha256(root) != before  # names are content of a directory

    with pytest.raises(InvalidInputError, match="neither a file nor a directory"):
        dataset_sha256([tmp_path / "missing"])
    with pytest.raises(InvalidInputError, match="cannot digest data"):
        dataset_sha256(object())


def test_capture_dataset_fields_and_length_stats() -> None:
    lengths = [3, 5, 5, 8, 10, 12, 40]
    data = [torch.zeros(n) for n in lengths]
    ds = capture_dataset(
        "toy",
        data,
        lengths=lengths,
        version="2",
        license="CC0-1.0",
        splits={"train": 7},
        role="train",
    )
    assert ds.sha256 == dataset_sha256(data)
    stats = ds.sequence_length
    assert stats is not None
    assert (stats.min, stats.max, stats.median) == (3, 40, 8.0)
    assert stats.mean == pytest.approx(sum(lengths) / 7)
    assert stats.p95 == pytest.approx(float(np.percentile(lengths, 95)))
    record = RunRecord(run={"name": "r"}, data=[ds])
    assert RunRecord.model_validate_json(record.to_json()).data[0] == ds

    assert capture_dataset("one", lengths=[7]).sequence_length.p95 == 7.0  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError, match="lengths is empty"):
        capture_dataset("x", lengths=[])
    with pytest.raises(InvalidInputError, match="not both"):
        capture_dataset("x", b"1", sha256="0" * 64)
    with pytest.raises(InvalidInputError, match=r"data \('x'\): role: Input should be"):
        capture_dataset("x", role="testing")

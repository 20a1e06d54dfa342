"""track(data=...) in every form, initialisation tested against torch's defaults, GPU driver."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

from repro import InvalidInputError
from repro.capture.data import capture_data
from repro.capture.environment import nvidia_driver
from repro.capture.initialisation import check_default_init
from repro.capture.training import dataset_sha256
from repro.record import Dataset


class Stream(IterableDataset):
    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from range(3)


def test_one_source_is_the_training_split_and_a_loader_tells_batch_and_seed() -> None:
    x = torch.randint(1, 9, (6, 5))
    x[0, 3:] = 0  # two examples padded on the right with the model's padding index
    x[1, 4:] = 0
    loader = DataLoader(
        TensorDataset(x, torch.zeros(6)),
        batch_size=2,
        shuffle=True,
        generator=torch.Generator().manual_seed(42),
    )
    found = capture_data(loader, padding_idx=0)
    [dataset] = found.datasets
    assert (dataset.name, dataset.role, dataset.splits) == ("TensorDataset", "train", {"train": 6})
    assert dataset.sha256 == dataset_sha256(loader.dataset)
    stats = dataset.sequence_length
    assert (stats.min, stats.max) == (3, 5) and stats.mean == pytest.approx(27 / 6)
    assert dataset.padding is not None and (dataset.padding.side, dataset.padding.value) == (
        "right",
        0,
    )
    assert found.batch_size == 2 and found.loader_seeds == {"dataloader": 42}
    assert found.train_loader is loader


def test_mappings_lists_paths_and_records(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "train.txt").write_text("a b c\n")
    given = Dataset(name="given", license="CC0-1.0")
    found = capture_data(
        {"ptb": {"train": tmp_path / "corpus", "test": torch.zeros(4, 3)}, "given": given}
    )
    ptb, kept = found.datasets
    assert ptb.name == "ptb" and ptb.role == "train+eval"
    assert ptb.splits == {"test": 4}  # a directory has no example count
    assert set(ptb.split_sha256) == {"train", "test"} and ptb.sha256 is not None
    assert kept is given
    listed = capture_data([tmp_path / "corpus" / "train.txt", torch.ones(2, 7)])
    assert [(d.name, d.role, d.splits) for d in listed.datasets] == [
        ("train.txt", None, {}),
        ("Tensor", None, {"all": 2}),
    ]


def test_undigestable_data_is_a_warning_and_a_wrong_source_an_error() -> None:
    found = capture_data({"train": Stream()})
    [dataset] = found.datasets
    assert dataset.sha256 is None
    assert "no content digest" in found.warnings[0].message
    with pytest.raises(InvalidInputError, match="give a file or directory path"):
        capture_data({"train": 3.5})
    with pytest.raises(InvalidInputError, match="does not exist"):
        capture_data("no/such/file.txt")


def test_default_initialisation_is_measured_not_assumed() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Embedding(50, 8, padding_idx=0), nn.LSTM(8, 32, 2), nn.Linear(32, 128), nn.LayerNorm(128)
    )
    assert check_default_init(model).default
    nn.init.orthogonal_(model[1].weight_hh_l0)
    nn.init.constant_(model[2].bias, 0.0)  # in range, but 128 zeros are not U(-b, b)
    check = check_default_init(model)
    assert set(check.differ) == {"1.weight_hh_l0", "2.bias"}

    class Own(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(3))

    assert check_default_init(Own()).unchecked == ["w"]  # no torch default to test it against


def test_nvidia_driver_from_the_kernel_module_version(tmp_path: Path) -> None:
    version = tmp_path / "version"
    version.write_text(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  "
        "(dvs-builder@U16)  Thu Jan 23 2025\nGCC version:  gcc version 12.2.0\n"
    )
    assert nvidia_driver(version) == "570.86.15"
    version.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar 5\n")
    assert nvidia_driver(version) == "550.54.15"


def test_precision_from_dtypes_autocast_and_tf32() -> None:
    from repro.capture.precision import observed_precision

    assert observed_precision({"float64": 10, "int64": 99}) == "fp64"
    assert observed_precision({"float32": 10, "float16": 2}) == "fp32"
    assert observed_precision({"bfloat16": 10}) == "bf16"
    assert observed_precision({"float32": 10}, ["float16"]) == "amp-fp16"
    assert observed_precision({"int8": 10}) is None
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("high")  # TF32 matrix products where the GPU has it
        assert observed_precision({"float32": 1}, device_type="cuda", capability="8.0") == "tf32"
        assert observed_precision({"float32": 1}, device_type="cuda", capability="7.5") == "fp32"
        assert observed_precision({"float32": 1}, device_type="cpu") == "fp32"
    finally:
        torch.set_float32_matmul_precision(before)

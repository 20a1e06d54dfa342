"""``track(data=...)``: datasets from paths, tensors, Datasets and DataLoaders.

``data`` is one source, a list of sources (each its own dataset), or a mapping. A mapping whose
keys are all split names (``train``, ``validation``/``val``/``valid``/``dev``, ``test``,
``eval``...) is one dataset with those splits; otherwise each key names a dataset whose value is
a source or such a split mapping. A source is a file or directory path, a tensor or array
(examples along dim 0), a ``torch.utils.data.Dataset``, a ``DataLoader``, or a
:class:`repro.record.Dataset` taken as given. One source alone is the training split.

Recorded per split: the number of examples (a loader's sampler length: examples per epoch), a
content digest (:func:`repro.capture.training.dataset_sha256` for files, tensors and
``TensorDataset``; other map-style datasets item by item, up to :data:`MAX_DIGEST_ITEMS`), and
sequence-length statistics (the first dimension of each example's first tensor; integer token
sequences padded with the model's ``padding_idx`` are measured without their padding). From the
training loader also its batch size and its generator's seed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.capture.training import dataset_sha256, frame_raw, is_array, sequence_length_stats
from repro.errors import InvalidInputError
from repro.record import Dataset, Padding, RecordWarning, SequenceLengthStats

MAX_DIGEST_ITEMS = 200_000
TRAIN_SPLITS = frozenset({"train", "training"})
EVAL_SPLITS = frozenset(
    {"validation", "valid", "val", "dev", "test", "testing", "eval", "evaluation", "heldout"}
)


@dataclass
class SplitFacts:
    """What one source tells."""

    examples: int | None = None
    sha256: str | None = None
    lengths: SequenceLengthStats | None = None
    padding: Padding | None = None
    batch_size: int | None = None
    generator_seed: int | None = None
    loader: Any = None


@dataclass
class CapturedData:
    """Datasets for the record, plus what the training loader says about training."""

    datasets: list[Dataset] = field(default_factory=list)
    batch_size: int | None = None
    loader_seeds: dict[str, int] = field(default_factory=dict)
    train_loader: Any = None
    warnings: list[RecordWarning] = field(default_factory=list)


def _is_loader(value: Any) -> bool:
    return hasattr(value, "dataset") and hasattr(value, "batch_size") and hasattr(value, "sampler")


def _is_torch_dataset(value: Any) -> bool:
    from torch.utils.data import Dataset as TorchDataset
    from torch.utils.data import IterableDataset

    return isinstance(value, TorchDataset | IterableDataset)


def _source_name(value: Any) -> str:
    if isinstance(value, str | os.PathLike):
        return Path(value).name or str(value)
    if _is_loader(value):
        return _source_name(value.dataset)
    return type(value).__name__


# -- sequence lengths ------------------------------------------------------------------------------


def _token_lengths(tokens: Any, pad: int) -> tuple[list[int], str | None]:
    """Unpadded lengths of a 2-D integer tensor of token rows, and the padding side seen."""
    import torch

    mask = tokens != pad
    lengths = mask.sum(dim=1)
    width = tokens.shape[1]
    positions = torch.arange(width).unsqueeze(0)
    if bool((lengths == width).all()):
        return lengths.tolist(), None
    if bool((mask == (positions < lengths.unsqueeze(1))).all()):
        return lengths.tolist(), "right"
    if bool((mask == (positions >= width - lengths.unsqueeze(1))).all()):
        return lengths.tolist(), "left"
    return lengths.tolist(), None


def _first_tensor(item: Any) -> Any:
    if is_array(item):
        return item
    if isinstance(item, list | tuple) and item:
        return _first_tensor(item[0])
    if isinstance(item, Mapping) and item:
        return _first_tensor(next(iter(item.values())))
    return None


def _stacked_lengths(
    tensor: Any, pad: int | None
) -> tuple[SequenceLengthStats | None, Padding | None]:
    """Lengths of examples stacked along dim 0 (time is dim 1)."""
    if getattr(tensor, "ndim", 0) < 2 or tensor.shape[0] == 0:
        return None, None
    if pad is not None and tensor.ndim == 2 and _is_integer(tensor):
        lengths, side = _token_lengths(_as_torch(tensor), pad)
        padding = Padding(side=side, value=pad) if side else None
        return sequence_length_stats(lengths), padding
    return sequence_length_stats([int(tensor.shape[1])] * int(tensor.shape[0])), None


def _is_integer(tensor: Any) -> bool:
    dtype = str(tensor.dtype).removeprefix("torch.")
    return dtype.startswith(("int", "uint"))


def _as_torch(tensor: Any) -> Any:
    import torch

    return tensor if isinstance(tensor, torch.Tensor) else torch.as_tensor(tensor)


# -- digests of map-style datasets ----------------------------------------------------------------


def _frame_item(digest: Any, value: Any) -> None:
    """Feed one example, framed by kind so different content never digests the same."""
    if frame_raw(digest, value):
        return
    if isinstance(value, bool | int | float) or value is None:
        digest.update(f"{type(value).__name__} {value!r}\n".encode())
    elif isinstance(value, str):
        raw = value.encode("utf-8", errors="surrogatepass")
        digest.update(f"str {len(raw)}\n".encode())
        digest.update(raw)
    elif isinstance(value, Mapping):
        digest.update(f"map {len(value)}\n".encode())
        for key, item in value.items():
            digest.update(f"key {key!s}\n".encode())
            _frame_item(digest, item)
    elif isinstance(value, list | tuple):
        digest.update(f"seq {len(value)}\n".encode())
        for item in value:
            _frame_item(digest, item)
    else:
        raise TypeError(type(value).__name__)


def _item_facts(dataset: Any, count: int, pad: int | None, label: str) -> SplitFacts:
    """Digest and lengths of a map-style dataset, read item by item."""
    facts = SplitFacts(examples=count)
    if count > MAX_DIGEST_ITEMS:
        raise _NotDigested(f"{label}: {count:,} examples, over {MAX_DIGEST_ITEMS:,}")
    digest = hashlib.sha256(f"items {count}\n".encode())
    lengths: list[int] = []
    sides: set[str | None] = set()
    for index in range(count):
        item = dataset[index]
        try:
            _frame_item(digest, item)
        except TypeError as exc:
            reason = f"{label}: an example holds a {exc}, which has no stable bytes"
            raise _NotDigested(reason) from None
        first = _first_tensor(item)
        if first is None or getattr(first, "ndim", 0) < 1:
            continue
        if pad is not None and first.ndim == 1 and _is_integer(first):
            found, side = _token_lengths(_as_torch(first).unsqueeze(0), pad)
            lengths.append(found[0])
            sides.add(side)
        else:
            lengths.append(int(first.shape[0]))
    facts.sha256 = digest.hexdigest()
    if lengths and len(lengths) == count:
        facts.lengths = sequence_length_stats(lengths)
        padded = sides - {None}
        if len(padded) == 1 and pad is not None:
            facts.padding = Padding(side=padded.pop(), value=pad)
    return facts


class _NotDigested(Exception):
    """A source whose content cannot be digested (the reason is the message)."""


def _dataset_facts(dataset: Any, pad: int | None, label: str) -> SplitFacts:
    from torch.utils.data import IterableDataset, TensorDataset

    if isinstance(dataset, TensorDataset):
        facts = SplitFacts(examples=len(dataset), sha256=dataset_sha256(dataset))
        if dataset.tensors:
            facts.lengths, facts.padding = _stacked_lengths(dataset.tensors[0], pad)
        return facts
    if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__len__"):
        raise _NotDigested(f"{label}: an iterable dataset cannot be read without consuming it")
    return _item_facts(dataset, len(dataset), pad, label)


def _fill_loader(facts: SplitFacts, loader: Any) -> None:
    facts.loader = loader
    facts.batch_size = loader.batch_size
    with contextlib.suppress(TypeError):  # a sampler without a length
        facts.examples = len(loader.sampler)
    generator = getattr(loader, "generator", None) or getattr(loader.sampler, "generator", None)
    if generator is not None:
        facts.generator_seed = int(generator.initial_seed())


def _split_facts(source: Any, pad: int | None, label: str) -> tuple[SplitFacts, str | None]:
    """What a source tells, and why its content was not digested (None when it was)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise InvalidInputError(f"track: data {label}: {str(path)!r} does not exist")
        return SplitFacts(sha256=dataset_sha256(path)), None
    if is_array(source):
        examples = int(source.shape[0]) if getattr(source, "ndim", 0) >= 1 else None
        facts = SplitFacts(examples=examples, sha256=dataset_sha256(source))
        facts.lengths, facts.padding = _stacked_lengths(source, pad)
        return facts, None
    loader = source if _is_loader(source) else None
    dataset = source.dataset if loader is not None else source
    if loader is None and not _is_torch_dataset(source):
        raise InvalidInputError(
            f"track: data {label} is a {type(source).__name__}; give a file or directory path, "
            "a tensor or array, a torch Dataset or DataLoader, or a repro.record.Dataset"
        )
    reason = None
    try:
        facts = _dataset_facts(dataset, pad, label)
    except _NotDigested as exc:
        facts, reason = SplitFacts(), str(exc)
    if loader is not None:
        _fill_loader(facts, loader)
    return facts, reason


# -- forms of data= --------------------------------------------------------------------------------


def _splits_mapping(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(k, str) and k.lower() in TRAIN_SPLITS | EVAL_SPLITS for k in value)
    )


def _role(splits: Sequence[str]) -> str | None:
    lowered = {s.lower() for s in splits}
    train, evaluation = bool(lowered & TRAIN_SPLITS), bool(lowered & EVAL_SPLITS)
    return {(True, True): "train+eval", (True, False): "train", (False, True): "eval"}.get(
        (train, evaluation)
    )


def _combined_digest(digests: Mapping[str, str]) -> str:
    digest = hashlib.sha256(f"splits {len(digests)}\n".encode())
    for split, value in digests.items():
        digest.update(f"split {split} {value}\n".encode())
    return digest.hexdigest()


class _Collector:
    def __init__(self, pad: int | None) -> None:
        self.pad = pad
        self.out = CapturedData()

    def dataset(self, name: str, splits: Mapping[str, Any], role: str | None) -> Dataset:
        sizes: dict[str, int] = {}
        digests: dict[str, str] = {}
        stats: list[SequenceLengthStats] = []
        paddings: list[Padding] = []
        undigested = False
        for split, source in splits.items():
            facts, reason = _split_facts(source, self.pad, f"{name!r} ({split})")
            if reason is not None:
                undigested = True
                self._not_digested(name, reason)
            if facts.examples is not None:
                sizes[split] = facts.examples
            if facts.sha256 is not None:
                digests[split] = facts.sha256
            if facts.lengths is not None and split.lower() in TRAIN_SPLITS | {"all"}:
                stats.append(facts.lengths)
            if facts.padding is not None:
                paddings.append(facts.padding)
            self._loader(split, facts)
        sha = None
        if digests and not undigested and len(digests) == len(splits):
            sha = next(iter(digests.values())) if len(digests) == 1 else _combined_digest(digests)
        return Dataset(
            name=name,
            role=role,
            splits=sizes,
            sha256=sha,
            split_sha256=digests if len(digests) > 1 else {},
            sequence_length=stats[0] if len(stats) == 1 else None,
            padding=paddings[0] if paddings and all(p == paddings[0] for p in paddings) else None,
        )

    def _loader(self, split: str, facts: SplitFacts) -> None:
        if facts.loader is None:
            return
        train = split.lower() in TRAIN_SPLITS
        if facts.generator_seed is not None:
            key = "dataloader" if train else f"dataloader.{split}"
            self.out.loader_seeds.setdefault(key, facts.generator_seed)
        if train and self.out.train_loader is None:
            self.out.train_loader = facts.loader
            self.out.batch_size = facts.batch_size

    def _not_digested(self, name: str, reason: str) -> None:
        self.out.warnings.append(
            RecordWarning(
                path="data",
                message=f"dataset {name!r} has no content digest: {reason}; pass its files, "
                "or a repro.record.Dataset with sha256",
            )
        )

    def add(self, name: str | None, value: Any, default_split: str, role: str | None) -> None:
        if isinstance(value, Dataset):
            self.out.datasets.append(value)
        elif _splits_mapping(value):
            label = name or _source_name(next(iter(value.values())))
            self.out.datasets.append(self.dataset(label, value, _role(list(value))))
        else:
            label = name or _source_name(value)
            self.out.datasets.append(self.dataset(label, {default_split: value}, role))


def capture_data(data: Any, *, padding_idx: int | None = None) -> CapturedData:
    """The datasets of ``data`` (every form in the module docstring) and what the training
    loader tells. ``padding_idx`` is the model's padding token, if one."""
    collector = _Collector(padding_idx)
    if data is None:
        return collector.out
    if isinstance(data, Mapping) and not _splits_mapping(data):
        for name, value in data.items():
            collector.add(str(name), value, "all", None)
    elif isinstance(data, list | tuple) and not is_array(data):
        for value in data:
            collector.add(None, value, "all", None)
    elif _splits_mapping(data):
        collector.add(None, data, "train", None)
    else:
        collector.add(None, data, "train", "train")
    return collector.out

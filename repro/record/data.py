"""Datasets: identity, licence, content digest, splits and sequence statistics."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import NonNegInt, Section, Sha256


class SequenceLengthStats(Section):
    """Distribution of sequence lengths (in time steps) over a dataset."""

    min: NonNegInt
    max: NonNegInt
    mean: float
    median: float | None = None
    p95: float | None = None


class Padding(Section):
    """How variable-length sequences were padded."""

    side: Literal["left", "right"]
    value: float | int | str = 0


class Dataset(Section):
    """One dataset the run used."""

    name: str = Field(min_length=1)
    version: str | None = None
    source: str | None = Field(None, description="URL, DOI or generator description.")
    license: str | None = Field(None, description="SPDX identifier where there is one.")
    sha256: Sha256 | None = Field(None, description="Digest of the full content.")
    split_sha256: dict[str, Sha256] = Field(
        default_factory=dict, description="Split -> digest of that split's content."
    )
    role: Literal["train", "eval", "train+eval"] | None = None
    splits: dict[str, NonNegInt] = Field(default_factory=dict, description="Split -> examples.")
    preprocessing: list[str] = Field(default_factory=list, description="Ordered steps.")
    sequence_length: SequenceLengthStats | None = None
    padding: Padding | None = None
    packed: bool | None = Field(None, description="PackedSequence used; absent = not recorded.")

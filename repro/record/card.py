"""The prose a model card needs; absent fields are shown as missing, never invented."""

from __future__ import annotations

from pydantic import Field

from .base import Section


class Card(Section):
    """Model-card text (Mitchell et al. 2019 sections a record cannot capture itself)."""

    title: str | None = Field(None, description="Model or paper title; absent = run name.")
    summary: str | None = None
    intended_use: str | None = None
    out_of_scope_use: str | None = None
    factors: str | None = Field(None, description="Relevant factors (groups, conditions).")
    limitations: str | None = None
    ethical_considerations: str | None = None
    caveats: str | None = Field(None, description="Caveats and recommendations.")
    license: str | None = Field(None, description="SPDX identifier, e.g. 'apache-2.0'.")
    citation: str | None = Field(None, description="How to cite (BibTeX or text).")
    language: list[str] = Field(default_factory=list, description="ISO 639 codes, if text.")

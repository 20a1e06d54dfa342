"""JSON Schema of the record models, straight from pydantic."""

from __future__ import annotations

import json

from repro.record import Contributors, RunRecord


def json_schema_text(kind: str = "record") -> str:
    """The draft 2020-12 JSON Schema of a run record or a contributors file."""
    model = Contributors if kind == "contributors" else RunRecord
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"

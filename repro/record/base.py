"""The base model every record section shares: strict about unknown keys, plain data."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# A JSON scalar, the value type of free-form settings (optimizer kwargs, search spaces).
Scalar = str | int | float | bool | None
JSONValue = Scalar | list[Any] | dict[str, Any]

NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(gt=0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Lower-case hex SHA-256.")]


class Section(BaseModel):
    """A record section: unknown keys are errors (typos must not vanish), values are checked on
    assignment, and a missing optional field means "not recorded", never a made-up default."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        use_enum_values=True,
    )

"""Where things are, from the project root: examples, shared schemas, test data, artifacts."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"  # ../shared: schemas and data the tests check against
EXAMPLES = ROOT / "examples" / "records"
EXAMPLE = EXAMPLES / "lstm-adding.yaml"
CONTRIBUTORS = EXAMPLES / "contributors.yaml"
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots and pages for a person to look at

"""Plain-data record models and pure functions over them (no file, network or torch work)."""

from .architecture import (
    Architecture,
    CellType,
    Embedding,
    ModuleSummary,
    OutputHead,
    RecurrentLayer,
    TiedWeights,
)
from .attestations import Attestation
from .card import Card
from .config import Config, Sweep
from .contributors import Affiliation, Contributor, Contributors, Degree, RoleAssignment
from .credit import CREDIT_ROLES, CREDIT_VOCAB_IDENTIFIER, CreditRole, resolve_role
from .data import Dataset, Padding, SequenceLengthStats
from .diagnostics import ClippingStats, Diagnostics, FlowSummary, FlowWatch, GradientFlow, LayerFlow
from .environment import Determinism, Device, Distributed, Environment
from .errors import describe_errors, field_path
from .migrations import MIGRATIONS, SCHEMA_VERSION, SchemaVersionError, migrate
from .orcid import normalize_orcid, orcid_checksum
from .provenance import Emissions, GitInfo, Provenance
from .results import Interval, Metric
from .run import RunInfo, RunStatus
from .run_record import RecordWarning, RunRecord
from .training import (
    Dropout,
    DropoutModule,
    DropoutPosition,
    EarlyStopping,
    GradientClipping,
    HyperparameterSearch,
    Initialisation,
    LRSchedule,
    Observed,
    Optimizer,
    Seeds,
    TeacherForcing,
    Training,
)

__all__ = [
    "CREDIT_ROLES",
    "CREDIT_VOCAB_IDENTIFIER",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Affiliation",
    "Architecture",
    "Attestation",
    "Card",
    "CellType",
    "ClippingStats",
    "Config",
    "Contributor",
    "Contributors",
    "CreditRole",
    "Dataset",
    "Degree",
    "Determinism",
    "Device",
    "Diagnostics",
    "Distributed",
    "Dropout",
    "DropoutModule",
    "DropoutPosition",
    "EarlyStopping",
    "Embedding",
    "Emissions",
    "Environment",
    "FlowSummary",
    "FlowWatch",
    "GitInfo",
    "GradientClipping",
    "GradientFlow",
    "HyperparameterSearch",
    "Initialisation",
    "Interval",
    "LRSchedule",
    "LayerFlow",
    "Metric",
    "ModuleSummary",
    "Observed",
    "Optimizer",
    "OutputHead",
    "Padding",
    "Provenance",
    "RecordWarning",
    "RecurrentLayer",
    "RoleAssignment",
    "RunInfo",
    "RunRecord",
    "RunStatus",
    "SchemaVersionError",
    "Seeds",
    "SequenceLengthStats",
    "Sweep",
    "TeacherForcing",
    "TiedWeights",
    "Training",
    "describe_errors",
    "field_path",
    "migrate",
    "normalize_orcid",
    "orcid_checksum",
    "resolve_role",
]

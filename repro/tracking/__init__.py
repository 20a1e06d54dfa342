"""MLflow tracking that never loses a metric: the run context (``track``), the local journal,
the background sender, ``sync`` and ``load_run``. The only package that imports mlflow.

Every ``log_metrics`` call is appended to an append-only journal (``./.repro/journal``) and
flushed to the OS before it is queued for a background thread that sends it with ``log_batch``;
see :mod:`repro.tracking.journal` for the file format and flush policy.
"""

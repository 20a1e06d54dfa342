"""Helpers the tests share: paths, example records, parsers, real MLflow/PostgreSQL services."""

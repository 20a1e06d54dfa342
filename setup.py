"""Package list for setuptools: every ``repro*`` package plus ``repro.templates``.

The built-in Jinja templates live in the top-level ``templates/`` directory (see
docs/architecture.md); pyproject.toml maps the package ``repro.templates`` onto it so the wheel
ships them inside ``repro/``. pyproject's static ``packages.find`` cannot add packages that live outside the
found tree, hence this computed list; all other metadata stays in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

TEMPLATE_PACKAGES = [
    "repro.templates",
    *(f"repro.templates.{name}" for name in find_namespace_packages(where="templates")),
]

setup(packages=[*find_namespace_packages(include=["repro", "repro.*"]), *TEMPLATE_PACKAGES])

"""Rendering records into publication formats: a format registry over Jinja templates.

``repro.render`` is both this package and the public function ``repro.render(source, fmt)``:
Python binds an imported subpackage to its parent's attribute, so once any ``repro.render.*``
module is imported the name ``repro.render`` is this module. The module is therefore made
callable, forwarding to :func:`repro.render.api.render`. It stays light (no matplotlib, no
mlflow, no Jinja until called).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any


class _RenderPackage(types.ModuleType):
    """The ``repro.render`` package module, callable like :func:`repro.render.api.render`."""

    def __call__(
        self, source: Any, fmt: str, *, template_dir: str | Path | None = None, **options: Any
    ) -> str:
        from repro.render.api import render

        return render(source, fmt, template_dir=template_dir, **options)


sys.modules[__name__].__class__ = _RenderPackage

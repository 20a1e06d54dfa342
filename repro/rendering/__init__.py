"""Rendering: the format registry, the Jinja environment over the built-in templates, filters
and plots. The public entry point is the function ``repro.render`` (:mod:`repro.rendering.api`).
"""

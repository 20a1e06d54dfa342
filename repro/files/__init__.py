"""The file edge: record and contributors files in and out, command-line sources, atomic writes.

Everything here reads or writes files (or resolves a SOURCE that names one) and raises the
errors of :mod:`repro.errors`; the record package it serves stays free of I/O.
"""

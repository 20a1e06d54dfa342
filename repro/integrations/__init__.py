"""Adapters for the frameworks researchers train with: Lightning (``repro.integrations.lightning``),
Optuna (``repro.integrations.optuna``). Each is an optional extra (``pip install
'repro[lightning]'``...), imported only when its module is: ``import repro`` imports none of them.
"""

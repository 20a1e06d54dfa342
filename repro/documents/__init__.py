"""Documents: pure functions from records to what each output shows (cards, statements, tables)."""

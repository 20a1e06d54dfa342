"""Reports over many records: aggregation across seeds, diffs, results tables."""

"""The synthetic city generator and ready-to-run examples."""

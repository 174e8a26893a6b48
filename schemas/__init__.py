"""microcred schemas package."""

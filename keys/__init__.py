"""microcred keys package."""

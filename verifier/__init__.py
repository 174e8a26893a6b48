"""microcred verifier package."""

"""microcred issuer package."""

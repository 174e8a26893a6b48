"""microcred issuer: partnerships issue, suspend and revoke signed micro-credentials."""

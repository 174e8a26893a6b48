"""Partnerships, their organisations, signing keys over their life, and their DID documents."""

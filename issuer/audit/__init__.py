"""The audit log: its hash chain, the database triggers that keep it append-only, and its check."""

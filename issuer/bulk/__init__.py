"""Bulk issuance from a CSV file: jobs that survive crashes."""

"""Bitstring Status Lists: entries, the signed list credentials, and their public endpoint."""

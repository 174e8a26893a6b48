"""Micro-credential specifications: their rules (``rules``) and their storage (``services``)."""

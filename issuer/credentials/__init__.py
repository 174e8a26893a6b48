"""Issuing one micro-credential, changing its status, and what people see of it."""

"""The verifier's checks, one module each, named as in the EU viewer.

Each check takes what it needs and returns a ``CheckResult``; none raises for a bad credential.
"""

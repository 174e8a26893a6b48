"""The verifier's only way out to the network: the guarded client (``client``), the address
rule it applies before connecting (``addresses``) and the cache every worker shares (``cache``)."""

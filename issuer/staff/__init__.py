"""The partnership staff pages under /staff."""

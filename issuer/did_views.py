"""Placeholder blueprint 'dids' (being built)."""

from flask import Blueprint

bp = Blueprint("dids", __name__)

"""Placeholder blueprint 'status' (being built)."""

from flask import Blueprint

bp = Blueprint("status", __name__)

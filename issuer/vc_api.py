"""Placeholder blueprint 'vc_api' (being built)."""

from flask import Blueprint

bp = Blueprint("vc_api", __name__)

"""Préau's settings with the ceiling's URLs (see bench/ceiling/__init__.py)."""

from preau.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ceiling.urls"

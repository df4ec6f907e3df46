"""Test settings: Préau's own settings with the environment a test run needs.

pytest-django imports the settings before any conftest runs, so the environment is set here.
"""

import os
import tempfile

# Plain-HTTP test servers: browsers and HTTP clients must send the cookies back.
os.environ.setdefault("PREAU_SECURE_COOKIES", "0")
# Never write into the working tree's ./var during tests.
os.environ.setdefault("PREAU_DATA_DIR", tempfile.mkdtemp(prefix="preau-test-"))

from preau.settings import *  # noqa: E402, F403

# Argon2id still, at 1 MiB and one pass: the tests hash often and prove nothing about the cost
# (tests/signin/test_hashers.py checks the real defaults with its ``real_cost`` fixture).
PREAU = {**PREAU, "ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1}  # noqa: F405

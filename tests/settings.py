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

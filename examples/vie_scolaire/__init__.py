"""A tiny "vie scolaire" site that signs in through Préau's CAS server with python-cas.

    python -m examples.vie_scolaire --cas http://127.0.0.1:8000/cas/ --bind 127.0.0.1:8001

It greets the person with their name and class (from the attributes Préau releases), and
closes its session when Préau sends the single-logout ``LogoutRequest``. ``preau demo``
registers it as a service (prefix ``http://127.0.0.1:8001/``).
"""

from examples.vie_scolaire.app import VieScolaire

__all__ = ["VieScolaire"]

"""Préau: an open-source ENT identity portal for French schools."""

__version__ = "0.1.0"

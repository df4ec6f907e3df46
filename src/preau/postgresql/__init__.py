"""Préau's PostgreSQL backend, ``ENGINE = "preau.postgresql"`` (see ``base``)."""

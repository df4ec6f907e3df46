"""Argon2id with Préau's cost parameters (chosen from bench/bench_argon2.py)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

from preau.conf import preau_setting


class PreauArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id; the cost comes from settings so a deployment can raise it without code.

    Hashes made with other parameters still verify and are upgraded at the next sign-in
    (Django's ``must_update``).
    """

    algorithm = "argon2"

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return int(preau_setting("ARGON2_TIME_COST"))

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return int(preau_setting("ARGON2_MEMORY_KIB"))

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return int(preau_setting("ARGON2_PARALLELISM"))

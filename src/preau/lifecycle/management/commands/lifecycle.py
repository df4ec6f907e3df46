"""``preau lifecycle [--dry-run]``: apply the scheduled rules; run it every hour (cron, timer).

Idempotent: a second run right after the first does nothing. See docs/operations.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.conf import preau_setting
from preau.lifecycle.services import lifecycle_run


class Command(BaseCommand):
    help = (
        "Applique les règles de cycle de vie : désactive les comptes dont la date limite "
        "d'activation est passée, supprime les comptes jamais activés trop anciens, purge "
        "les messages envoyés anciens, retire les identifiants des comptes fusionnés, "
        "efface les inscriptions par SMS anciennes et les jetons morts de l'application mobile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="dire ce qui serait fait, sans rien modifier",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="comptes traités par transaction (défaut : PREAU_LIFECYCLE_BATCH_SIZE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        batch_size: int | None = options["batch_size"]
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size doit être un entier positif.")
        deactivated, deleted, purged, expired, aliases, signups, mobile = lifecycle_run(
            dry_run=dry_run, batch_size=batch_size
        )
        days = preau_setting("DELETE_UNACTIVATED_DAYS")
        retention = preau_setting("NOTIFY_RETENTION_DAYS")
        signup_days = preau_setting("SIGNUP_RETENTION_DAYS")
        if dry_run:
            self.stdout.write("Simulation : rien n'a été modifié.")
            lines = [
                ("Comptes qui seraient désactivés (date limite d'activation passée)", deactivated),
                (
                    f"Comptes qui seraient supprimés (jamais activés, créés il y a plus de "
                    f"{days} jours)",
                    deleted,
                ),
                (
                    f"Messages et résultats de tâches qui seraient purgés (plus de {retention} "
                    f"jours)",
                    purged,
                ),
                ("Sessions et jetons OpenID Connect expirés qui seraient supprimés", expired),
                ("Identifiants de comptes fusionnés qui seraient retirés", aliases),
                (
                    f"Inscriptions par SMS qui seraient effacées (plus de {signup_days} jours)",
                    signups,
                ),
                (
                    "Application mobile : appareils expirés qui seraient retirés, codes, jetons "
                    "et appareils retirés qui seraient effacés",
                    mobile,
                ),
            ]
        else:
            lines = [
                ("Comptes désactivés (date limite d'activation passée)", deactivated),
                (f"Comptes supprimés (jamais activés, créés il y a plus de {days} jours)", deleted),
                (f"Messages et résultats de tâches purgés (plus de {retention} jours)", purged),
                ("Sessions et jetons OpenID Connect expirés supprimés", expired),
                ("Identifiants de comptes fusionnés retirés (fin de l'année scolaire)", aliases),
                (f"Inscriptions par SMS effacées (plus de {signup_days} jours)", signups),
                (
                    "Application mobile : appareils expirés retirés, codes, jetons et appareils "
                    "retirés effacés",
                    mobile,
                ),
            ]
        for label, result in lines:
            self.stdout.write(f"{label} : {result.count}")
            if dry_run and result.sample:
                more = result.count - len(result.sample)
                listing = ", ".join(result.sample) + (f" et {more} autres" if more > 0 else "")
                self.stdout.write(f"  {listing}")

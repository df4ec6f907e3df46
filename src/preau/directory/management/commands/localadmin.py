"""``preau localadmin grant|revoke LOGIN --establishment UAI``: name a local administrator."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.directory.models import Account, Establishment
from preau.directory.services import local_admin_set


class Command(BaseCommand):
    help = "Donne (grant) ou retire (revoke) le rôle d'administrateur local d'un établissement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["grant", "revoke"])
        parser.add_argument("login", help="identifiant du membre du personnel")
        parser.add_argument("--establishment", required=True, metavar="UAI")

    def handle(self, *args: Any, **options: Any) -> None:
        uai = options["establishment"].strip().upper()
        establishment = Establishment.objects.filter(uai=uai).first()
        if establishment is None:
            raise CommandError(f"Aucun établissement d'UAI {uai} : déclarez-le d'abord.")
        account = Account.objects.filter(login=options["login"].strip().lower()).first()
        if account is None:
            raise CommandError(f"Aucun compte d'identifiant {options['login']}.")
        try:
            local_admin_set(
                actor=None,
                account=account,
                establishment=establishment,
                grant=options["action"] == "grant",
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        verb = "est" if options["action"] == "grant" else "n'est plus"
        self.stdout.write(
            self.style.SUCCESS(f"{account.login} {verb} administrateur local de {uai}.")
        )

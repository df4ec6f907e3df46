"""``preau establishment add|list``: the operator's way to declare establishments from a shell."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.directory.models import Establishment
from preau.directory.services import establishment_create


class Command(BaseCommand):
    help = "Déclare un établissement (add) ou liste les établissements (list)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="déclarer un établissement")
        add.add_argument("--uai", required=True, help="UAI, ex. 0750654D")
        add.add_argument("--name", required=True, help="nom de l'établissement")
        add.add_argument("--kind", choices=Establishment.Kind.values, default="college")
        add.add_argument("--authority", choices=Establishment.Authority.values, default="academie")
        add.add_argument("--academy", default="")
        add.add_argument("--postal-code", default="")
        add.add_argument("--city", default="")
        sub.add_parser("list", help="lister les établissements")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for establishment in Establishment.objects.order_by("uai"):
                self.stdout.write(f"{establishment.uai}\t{establishment.name}")
            return
        try:
            establishment = establishment_create(
                actor=None,
                uai=options["uai"],
                name=options["name"],
                kind=options["kind"],
                authority=options["authority"],
                academy=options["academy"],
                postal_code=options["postal_code"],
                city=options["city"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(_messages(exc))) from exc
        self.stdout.write(self.style.SUCCESS(f"Établissement créé : {establishment}"))


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{field} : {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
    return list(exc.messages)

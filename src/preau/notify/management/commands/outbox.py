"""``preau outbox status|test ADDRESS``: the operator's look at the outbox, and a test message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.notify.selectors import outbox_summary
from preau.notify.services import message_queue


class Command(BaseCommand):
    help = "État de la file d'envoi (status) ou envoi d'un message d'essai (test ADRESSE)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="messages par état, plus ancien message en attente")
        test = sub.add_parser("test", help="mettre en file un message d'essai")
        test.add_argument("address", help="adresse électronique du destinataire")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "test":
            try:
                message = message_queue(
                    channel="email",
                    to=options["address"],
                    template="test_message",
                    context={},
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(
                f"Message d'essai n° {message.pk} en file pour {message.recipient} : "
                "`preau worker` l'enverra."
            )
            return
        summary = outbox_summary()
        for status, label in summary.labels.items():
            self.stdout.write(f"{label} : {summary.counts.get(status, 0)}")
        if summary.oldest_waiting is not None:
            self.stdout.write(
                f"Plus ancien message en attente : {summary.oldest_waiting:%Y-%m-%d %H:%M}"
            )

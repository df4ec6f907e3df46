"""``preau demo``: migrate, load the demo school through the real importer, print how to sign in,
and serve on 127.0.0.1:8000.

The server runs in demo mode (``PREAU_DEMO=1``, set by the ``preau`` script before the settings
are read, and again here for the server process this command becomes): mail and SMS are
delivered in the server's own process as soon as the request that sends them commits (the
Django Tasks "immediate" backend: no ``preau worker`` to start), written to this terminal, and
listed on the page of the messages sent that every page's demo banner links to.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse

from preau.conf import preau_setting
from preau.demo.services import demo_load
from preau.directory.activation_codes import activation_code_display
from preau.notify.services import outbound_message_sweep


class Command(BaseCommand):
    help = "Prépare une école de démonstration (SQLite par défaut) et la sert sur 127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="adresse:port d'écoute")
        parser.add_argument(
            "--no-serve", action="store_true", help="préparer les données sans lancer le serveur"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Préparation de la base de données…")
        call_command("migrate", interactive=False, verbosity=0)
        credentials = demo_load()
        est = credentials.establishment
        base = preau_setting("PUBLIC_URL").rstrip("/")
        out = self.stdout.write
        out(self.style.SUCCESS(f"\nÉtablissement de démonstration : {est.name} ({est.uai})"))
        for report in credentials.reports:
            out(
                f"  import {report.filename} : {report.created} créés, {report.updated} modifiés, "
                f"{report.unchanged} inchangés, {report.rejected} rejetés"
            )
        out(f"\nConnexion : {base}{reverse('signin:login')}")
        out(f"  administrateur local : {credentials.admin_login} / {credentials.password}")
        out(f"    console : {base}{reverse('console:home')}")
        out(f"  opérateur ENT : {credentials.operator_login} / {credentials.password}")
        out(f"    administration : {base}{reverse('admin:index')}")
        for login, who, code in credentials.activation_codes:
            shown = activation_code_display(code)
            out(f"  première connexion ({who}) : {login} / code d'activation {shown}")
        out(
            "\nCourriels et SMS : rien ne part vraiment ; ils s'affichent dans ce terminal et "
            f"sur {base}{reverse('demo:messages')}"
        )
        out(f"\nSanté : {base}{reverse('healthz')} et {base}{reverse('readyz')}\n")
        if preau_setting("DEMO"):
            # What an earlier run left in the outbox (a server stopped mid-way) goes out now.
            outbound_message_sweep()
        if not options["no_serve"]:
            # The server this command becomes reads its settings again: in demo mode.
            os.environ["PREAU_DEMO"] = "1"
            call_command("serve", bind=options["bind"])

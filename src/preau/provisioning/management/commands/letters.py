"""``preau letters``: print the credential letters of an establishment to a PDF file.

    preau letters --establishment 0750654D --class 3A --profile guardian -o 3A-parents.pdf

Accounts still pending get fresh activation codes (their previous letters stop working); active
accounts are never touched and get a letter without a code (left out with --pending-only).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from preau.directory.models import Establishment
from preau.provisioning.services import PROFILES, LettersError, letters_generate


class Command(BaseCommand):
    help = (
        "Imprime les courriers de première connexion (identifiant, code d'activation, QR code) "
        "d'un établissement, une page A4 par personne."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--establishment", required=True, metavar="UAI", help="UAI de l'établissement"
        )
        parser.add_argument(
            "--class",
            dest="school_class",
            metavar="CLASSE",
            help="une classe de l'année en cours (ses élèves, leurs responsables, ses professeurs)",
        )
        parser.add_argument(
            "--profile",
            choices=list(PROFILES),
            help="student (élèves), guardian (responsables) ou staff (enseignants et personnels)",
        )
        parser.add_argument(
            "--pending-only",
            action="store_true",
            help="seulement les comptes pas encore activés",
        )
        parser.add_argument(
            "-o",
            "--output",
            metavar="FICHIER.pdf",
            help="fichier PDF à écrire (« - » pour la sortie standard) ; "
            "par défaut courriers-UAI[-CLASSE].pdf",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        uai = options["establishment"].strip().upper()
        establishment = Establishment.objects.filter(uai=uai).first()
        if establishment is None:
            raise CommandError(
                _(
                    "Établissement inconnu : aucun établissement n'a l'UAI « %(uai)s ». "
                    "Vérifiez l'UAI (7 chiffres et une lettre, par exemple 0750654D) ou "
                    "consultez la liste avec « preau establishment list »."
                )
                % {"uai": uai}
            )
        output = options["output"] or _default_name(uai, options["school_class"])
        if output != "-":
            _check_directory(Path(output))
        # The file is written before the codes are committed: if it cannot be written, the
        # previous codes (and the letters already handed out) stay valid.
        with transaction.atomic():
            try:
                result = letters_generate(
                    actor=None,
                    establishment=establishment,
                    school_class=options["school_class"],
                    profile=options["profile"],
                    pending_only=options["pending_only"],
                )
            except LettersError as exc:
                raise CommandError(str(exc)) from exc
            if result.letters == 0:
                self.stderr.write(
                    _("Aucun courrier à imprimer pour cette sélection : aucun fichier écrit.")
                )
                return
            if output == "-":
                sys.stdout.buffer.write(result.pdf)
                sys.stdout.buffer.flush()
                report = self.stderr
            else:
                try:
                    _write_atomically(Path(output), result.pdf)
                except OSError as exc:
                    # Raised inside the transaction: the new codes are rolled back.
                    raise CommandError(
                        _(
                            "Impossible d'écrire %(file)s (%(error)s) : aucun code d'activation "
                            "n'a été changé."
                        )
                        % {"file": output, "error": exc.strerror or exc}
                    ) from exc
                report = self.stdout
        report.write(
            ngettext(
                "%(count)d courrier écrit dans %(file)s.",
                "%(count)d courriers écrits dans %(file)s.",
                result.letters,
            )
            % {"count": result.letters, "file": output}
        )
        if result.codes_issued:
            report.write(
                ngettext(
                    "%(count)d code d'activation émis : le précédent courrier de ce compte "
                    "ne fonctionne plus.",
                    "%(count)d codes d'activation émis : les précédents courriers de ces comptes "
                    "ne fonctionnent plus.",
                    result.codes_issued,
                )
                % {"count": result.codes_issued}
            )
        else:
            report.write(_("Aucun code d'activation émis : tous ces comptes sont déjà activés."))


def _default_name(uai: str, school_class: str | None) -> str:
    if school_class:
        safe = "".join(ch if ch.isalnum() else "_" for ch in school_class.strip())
        return f"courriers-{uai}-{safe}.pdf"
    return f"courriers-{uai}.pdf"


def _check_directory(path: Path) -> None:
    directory = path.resolve().parent
    if not directory.is_dir():
        raise CommandError(
            _("Le dossier %(dir)s n'existe pas : choisissez un autre fichier de sortie.")
            % {"dir": directory}
        )


def _write_atomically(path: Path, data: bytes) -> None:
    """Never leave a half-written PDF behind (the codes in it would be the only copy)."""
    fd, tmp = tempfile.mkstemp(dir=path.resolve().parent, prefix=".letters-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)  # the file holds activation codes
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

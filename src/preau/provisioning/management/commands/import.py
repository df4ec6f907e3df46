"""``preau import``: load an establishment's students, guardians or staff from an export file."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from preau.directory.models import Establishment
from preau.directory.validators import normalize_uai
from preau.provisioning.imports import KINDS, ImportReport, import_run

KIND_NAMES = {"students": "élèves", "guardians": "responsables", "staff": "personnels"}


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width * done // max(total, 1)
        percent = 100 * done // max(total, 1)
        bar = "█" * filled + "·" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d} %")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Importe un fichier d'export (CSV) d'élèves, de responsables légaux ou de personnels "
        "dans un établissement. Voir docs/import-formats.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="fichier CSV à importer (« - » pour l'entrée standard)")
        parser.add_argument("--establishment", required=True, help="UAI de l'établissement")
        parser.add_argument(
            "--kind", required=True, choices=KINDS, help="students, guardians ou staff"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="montrer ce qui changerait, sans rien écrire"
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="fichier complet : les personnes absentes du fichier quittent l'établissement",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="importer les lignes correctes et signaler les autres",
        )
        parser.add_argument(
            "--school-year",
            type=int,
            default=None,
            help="année scolaire (année de la rentrée, ex. 2026) ; par défaut l'année en cours",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="ne pas afficher la barre de progression"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        uai = normalize_uai(options["establishment"])
        establishment = Establishment.objects.filter(uai=uai).first()
        if establishment is None:
            raise CommandError(
                f"Aucun établissement n'a l'UAI « {uai} » : déclarez-le d'abord avec "
                f"« preau establishment add --uai {uai} --name … »."
            )
        path = options["file"]
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Impossible de lire « {path} » : {exc.strerror}.") from exc
        bar = None
        err: TextIO = getattr(self.stderr, "_out", sys.stderr)
        if not options["no_progress"] and err.isatty():
            bar = ProgressBar(err, f"Import des {KIND_NAMES[options['kind']]}")
        try:
            report = import_run(
                actor=None,
                establishment=establishment,
                kind=options["kind"],
                data=data,
                filename=path,
                dry_run=options["dry_run"],
                full=options["full"],
                skip_invalid=options["skip_invalid"],
                school_year=options["school_year"],
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        for problem in report.problems:
            self.stderr.write(str(problem), style_func=lambda s: s)
        if report.dry_run and report.changes:
            for change in report.changes:
                self.stdout.write(
                    f"  {change.action:<6} {change.login:<30} {change.name} — {change.detail}"
                )
        if report.dry_run and report.flagged:
            # The risky changes, apart (the console asks to tick a box for them).
            self.stdout.write(
                f"À vérifier : {report.identity_changes} changement(s) d'identité, "
                f"{report.homonyms} homonyme(s)"
            )
            for change in report.flagged:
                for item in change.identity:
                    self.stdout.write(
                        f"  identité {change.login:<30} {item.field} : {item.old} → {item.new}"
                    )
                if change.homonym:
                    self.stdout.write(f"  homonyme {change.login:<30} {change.homonym}")
        self.stdout.write(summary(report, establishment))
        if report.refused:
            raise CommandError(
                f"Import refusé : {len(report.problems)} problème(s), rien n'a été écrit. "
                "Corrigez le fichier, ou relancez avec --skip-invalid pour importer les "
                "lignes correctes."
            )


def summary(report: ImportReport, establishment: Establishment) -> str:
    counts = (
        f"créés : {report.created}, mis à jour : {report.updated}, "
        f"sortis : {report.ended}, inchangés : {report.unchanged}, rejetés : {report.rejected}"
    )
    if report.refused:
        state = "refusé"
    elif report.dry_run:
        state = "simulation, rien n'a été écrit"
    elif report.written:
        state = "terminé"
    else:
        state = "aucune modification"
    return (
        f"{report.filename} → {establishment.uai} ({KIND_NAMES[report.kind]}) : {state} — {counts}"
    )

"""The ``preau`` console script: Django's management commands under Préau's settings.

``preau demo``, ``preau import``, ``preau letters`` are management commands of Préau's apps;
every Django command (``preau migrate``, ``preau createsuperuser``…) works too.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.settings")
    if args[:1] == ["demo"]:
        # The demo serves plain HTTP on the loopback: cookies can't require TLS there.
        os.environ.setdefault("PREAU_SECURE_COOKIES", "0")
        # Before the settings are read: mail and SMS delivered in-process, shown in the
        # terminal and on /demo/messages (settings.py, preau.demo).
        os.environ["PREAU_DEMO"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["preau", *args])


if __name__ == "__main__":
    main()

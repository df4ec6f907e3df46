"""The ``preau`` console script: Django's management commands under Préau's settings.

``preau demo``, ``preau import``, ``preau letters`` are management commands of Préau's apps;
every Django command (``preau migrate``, ``preau createsuperuser``…) works too.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["preau", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()

"""WSGI entry point for gunicorn or granian (``preau.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.settings")

application = get_wsgi_application()

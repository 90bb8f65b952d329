"""WSGI entry point, for gunicorn: `gunicorn pmladder.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmladder.settings")
application = get_wsgi_application()

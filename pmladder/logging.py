"""Logging helpers."""

import logging


class OneLinePerRefusal(logging.Filter):
    """Refusals are logged once, by `pmladder.middleware.RefusalLogMiddleware`, with who,
    what and why: Django's own "Forbidden" or "Not Found" line for the same request
    (`django.request`, any 4xx) is dropped. Other client errors (`django.security`, such as
    a disallowed host) keep their one-line message without the traceback."""

    def filter(self, record):
        if not 400 <= getattr(record, "status_code", 500) < 500:
            return True
        if record.name == "django.request":
            return False
        record.exc_info = None
        record.exc_text = None
        return True

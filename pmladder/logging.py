"""Logging helpers."""

import logging


class NoClientErrorTracebacks(logging.Filter):
    """Django logs 403s and 404s with the exception that caused them; those are expected
    refusals, so keep their one-line message and drop the traceback."""

    def filter(self, record):
        if 400 <= getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True

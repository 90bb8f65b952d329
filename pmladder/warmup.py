"""
What a server process works out once, before it takes requests: every template compiled
and the URL resolvers filled.

A new gunicorn worker (at start, and after each `max_requests`) otherwise did this during
its first requests: about 300 ms of the half second its first page took, against a few
tens of milliseconds for the same page later. With
the app preloaded, `gunicorn.conf.py` calls `warm()` in the master before it forks the
workers, so every worker, the replaced ones too, starts with them; without, each worker
calls it before it takes its first request. No database connection is opened.
"""

from pathlib import Path

from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver


def warm():
    """Fill the URL resolvers' caches and compile every template the Django engines can
    find (the project's and the apps'); returns how many templates were compiled."""
    resolver = get_resolver()
    resolver.reverse_dict  # noqa: B018 (filled on first use)
    compiled = 0
    for backend in engines.all():
        if not isinstance(backend, DjangoTemplates):
            continue
        for name in _template_names(backend.template_dirs):
            try:
                backend.engine.get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError):
                continue  # a partial meant for another engine, or never rendered alone
            compiled += 1
    return compiled


def _template_names(directories):
    """The names of the HTML and text templates under `directories`."""
    names = set()
    for directory in directories:
        root = Path(directory)
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.suffix in {".html", ".txt"} and path.is_file():
                names.add(path.relative_to(root).as_posix())
    return sorted(names)

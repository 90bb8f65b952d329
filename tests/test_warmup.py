"""A server process compiles its templates and fills its URL resolvers before it takes
requests (`pmladder.warmup`), in gunicorn's master when the app is preloaded, else in
each worker."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines

from pmladder import warmup

ROOT = Path(__file__).resolve().parent.parent


def cached_names():
    """The names the Django engine's cached loader holds compiled."""
    loader = engines["django"].engine.template_loaders[0]
    return {template.origin.template_name for template in loader.get_template_cache.values()}


@pytest.fixture
def nothing_compiled():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    yield
    loader.reset()


def test_warming_compiles_the_project_and_admin_templates(nothing_compiled):
    assert "base.html" not in cached_names()

    compiled = warmup.warm()

    names = cached_names()
    ours = {
        path.relative_to(ROOT / "templates").as_posix() for path in ROOT.glob("templates/**/*.html")
    }
    assert ours <= names
    assert {"admin/change_list.html", "admin/base_site.html"} <= names
    assert compiled >= len(ours)


@pytest.mark.django_db
def test_warming_asks_the_database_nothing(nothing_compiled, django_assert_num_queries):
    with django_assert_num_queries(0):
        warmup.warm()


class Noted:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(message % args)


@pytest.mark.parametrize("preloaded", [True, False])
def test_gunicorn_warms_once_in_the_master_when_preloaded_else_in_each_worker(
    monkeypatch, preloaded
):
    warmed = []
    monkeypatch.setattr(warmup, "warm", lambda: warmed.append(1) or 7)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    process = SimpleNamespace(cfg=SimpleNamespace(preload_app=preloaded), log=Noted())

    config["when_ready"](process)
    assert len(warmed) == (1 if preloaded else 0)
    config["post_worker_init"](process)

    assert len(warmed) == 1
    assert process.log.lines == ["Compiled 7 templates before taking requests."]

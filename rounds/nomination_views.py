"""Pages of nominations (being built)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet.")


nomination = nomination_edit = nomination_withdraw = nomination_endorse = _todo
nomination_decide = nominate = _todo

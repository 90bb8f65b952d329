"""Pages of promotion rounds (being built)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("Not built yet.")


round_list = round_new = round_detail = round_edit = round_move = calibrate = _todo

"""The access tokens page: each signed-in person's own personal access tokens for the API
(`api.models`). Nobody sees or revokes anyone else's: another person's token is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from assessments.forms import apply_errors

from . import services
from .forms import TokenForm
from .models import AccessToken


def _own_token(user, pk):
    """One of `user`'s own tokens, or 404."""
    token = AccessToken.objects.filter(user=user, pk=pk).first() if str(pk).isdigit() else None
    if token is None:
        raise Http404("Cannot revoke that token: not theirs or not found.")
    return token


@require_GET
def token_list(request):
    tokens = AccessToken.objects.filter(user=request.user)
    return render(request, "api/tokens.html", {"tokens": tokens})


@require_http_methods(["GET", "POST"])
def token_new(request):
    """Make a token; its text is shown once, on the page that answers the form."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, text = services.create_token(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Token “{token.name}” created.")
            return render(request, "api/token_created.html", {"token": token, "text": text})
    return render(request, "api/token_new.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def token_revoke(request):
    """Confirm (GET ?token=<id>), then revoke (POST token=<id>) one of one's own tokens."""
    pk = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    token = _own_token(request.user, pk or "")
    if request.method == "POST":
        if token.revoked_at is None:
            services.revoke_token(token=token)
            messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
        else:
            messages.info(request, f"Token “{token.name}” was revoked already.")
        return redirect("tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})

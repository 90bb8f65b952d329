"""Template tags for the sign-in pages and the emails (rendered without a request)."""

from django import template

from sso.rules import password_allowed_for, password_sign_in_on, providers

register = template.Library()


@register.simple_tag
def password_sign_in(user=None):
    """Whether password sign-in is on: for everyone, or for `user` (break-glass accounts
    keep it when it is off)."""
    if user is None:
        return password_sign_in_on()
    return password_allowed_for(user.get_username())


@register.simple_tag
def sso_providers():
    """[(name, label)] of the sign-in providers, for the sign-in page."""
    return providers()

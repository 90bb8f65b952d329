"""Template filters for pages about people."""

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def time_in_level(since, today=None):
    """How long ago a date-only `since` was, as a person would say it: "today",
    "3 weeks", "5 months", "1 year, 2 months"."""
    if since is None:
        return ""
    today = today or timezone.localdate()
    days = (today - since).days
    if days <= 0:
        return "today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 61:
        weeks = days // 7
        return f"{weeks} weeks"
    months = (today.year - since.year) * 12 + today.month - since.month
    if today.day < since.day:
        months -= 1
    years, months = divmod(months, 12)
    if not years:
        return f"{months} months"
    text = f"{years} year{'s' if years != 1 else ''}"
    if months:
        text += f", {months} month{'s' if months != 1 else ''}"
    return text


@register.filter
def get_item(mapping, key):
    """`mapping[key]`, or None: for looking up per-row data in templates."""
    return mapping.get(key) if mapping else None

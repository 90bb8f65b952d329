"""Template filters for pages about people."""

from django import template
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import linebreaksbr, truncatewords
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from levels.templatetags.ladder_pages import expectation_extras
from pmladder import richtext

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


@register.simple_tag
def placement_items(expectations, readiness, *, new_evidence="", own=False, can_manage=False):
    """A list item per expectation of a person's level: its text and extras, how it is
    shown (`readiness.by_expectation`), and, for the person (`own`) and those who manage
    them, the link to record evidence for it (`new_evidence`: the form's address). Drawn
    here rather than in the template: a level may list hundreds, on every visit."""
    by_expectation = readiness.by_expectation() if readiness else {}
    action = "Log a win for this" if own else "Record evidence"
    items = []
    for expectation in expectations:
        item = by_expectation.get(expectation.pk)
        if item and item.count:
            pieces = f"{item.count} piece{'' if item.count == 1 else 's'} of evidence"
            coverage = (
                f'<span class="badge text-bg-success">{pieces}</span> '
                f'<span class="text-body-secondary">latest '
                f"{escape(format_date(item.latest, 'j M Y'))}</span>"
            )
        elif item and item.covered:
            coverage = '<span class="badge text-bg-success">Shown in the latest review</span>'
        else:
            coverage = '<span class="badge text-bg-light border">No evidence yet</span>'
        if item and item.rating_label:
            coverage += (
                f' <span class="badge rating-{escape(item.rating)}">'
                f"{escape(item.rating_label)}</span>"
            )
        link = ""
        if own or can_manage:
            about = escape(truncatewords(richtext.plain(expectation.text), 8))
            link = (
                '<div class="expectation-actions"><a class="btn btn-outline-primary btn-sm '
                f'py-0 d-print-none" href="{escape(new_evidence)}?expectation='
                f'{expectation.pk}">{action}<span class="visually-hidden">: {about}</span>'
                "</a></div>"
            )
        items.append(
            f"<li>{richtext.render_inline(expectation.text)}{expectation_extras(expectation)}"
            f'\n<div class="coverage">{coverage}</div>\n{link}\n</li>'
        )
    return mark_safe("\n".join(items))


@register.simple_tag
def change_items(items, *, new_evidence="", own=False, can_manage=False):
    """A list item per new or changed expectation of a next level (`compare` items; those
    unchanged are left out): its text, what it was, how the person shows it
    (`item.readiness`), and the link to record evidence for it, as `placement_items`."""
    action = "Log a win for this" if own else "Record evidence"
    lines = []
    for item in items:
        if item.status == "same":
            continue
        badge = (
            '<span class="badge badge-new">New</span>'
            if item.status == "new"
            else '<span class="badge badge-changed">Changed</span>'
        )
        was = (
            f'<div class="text-body-secondary">was: {richtext.render_inline(item.was)}</div>'
            if item.was
            else ""
        )
        measured, shown = item.readiness, ""
        if measured:
            if measured.count:
                pieces = f"{measured.count} piece{'' if measured.count == 1 else 's'}"
                shown = (
                    '<span class="badge text-bg-success">Shown with evidence</span> '
                    f'<span class="text-body-secondary">{pieces}, latest '
                    f"{escape(format_date(measured.latest, 'j M Y'))}</span>"
                )
            elif measured.covered:
                shown = '<span class="badge text-bg-success">Shown in the latest review</span>'
            else:
                shown = '<span class="badge text-bg-light border">Not yet</span>'
            if own or can_manage:
                about = escape(truncatewords(richtext.plain(measured.expectation.text), 8))
                shown += (
                    '\n<a class="btn btn-outline-primary btn-sm py-0 d-print-none" '
                    f'href="{escape(new_evidence)}?expectation={measured.expectation.pk}">'
                    f'{action}<span class="visually-hidden">: {about}</span></a>'
                )
            shown = f'\n<div class="expectation-actions">\n{shown}\n</div>'
        lines.append(f"<li>\n{badge}\n{richtext.render_inline(item.text)}{was}{shown}\n</li>")
    return mark_safe("\n".join(lines))


_ANY_PK = 918273645  # stands for an id in an address worked out once for many


@register.simple_tag(takes_context=True)
def evidence_items(context, items):
    """A list item per piece of evidence in `items`, for the page's `user` (who may edit
    and delete what they wrote) and, with `can_manage`, the buttons to confirm or decline
    a win waiting for it (`_win_decision.html`, with the page's context). Drawn here
    rather than in a template loop: a person's page lists up to fifty on every visit."""
    user, can_manage = context.get("user"), context.get("can_manage")
    # The addresses of the edit and delete pages, worked out once for the list.
    edit = reverse("assessments:evidence_edit", args=[_ANY_PK])
    delete = reverse("assessments:evidence_delete", args=[_ANY_PK])
    lines = []
    for item in items:
        badges = []
        if item.source == "self":
            badges.append('<span class="badge text-bg-info">Self-logged</span>')
        if item.status == "pending":
            badges.append('<span class="badge text-bg-warning">Waiting for confirmation</span>')
        elif item.status == "declined":
            badges.append('<span class="badge text-bg-danger">Declined</span>')
        if item.kind == "growth":
            badges.append(
                '<span class="badge bg-warning-subtle text-warning-emphasis border '
                'border-warning-subtle">Growth note</span>'
            )
        if item.visibility == "private":
            private = '<span class="badge text-bg-secondary">Private to managers and HR</span>'
            if item.kind == "shows" and item.status == "confirmed":
                private += (
                    ' <span class="small text-body-secondary">not counted in readiness</span>'
                )
            badges.append(private)
        about = f"{richtext.render_inline(item.expectation_text)} · {escape(item.level_name)}"
        details = []
        if item.link:
            details.append(f'<a href="{escape(item.link)}" rel="noopener noreferrer">Link</a> · ')
        criteria = [escape(criterion.name) for criterion in item.criteria.all()]
        if criteria:
            details.append(f"Supports {', '.join(criteria)} · ")
        if item.author:
            author = item.author.get_full_name() or item.author.get_username()
            details.append(f"by {escape(author)}")
        else:
            details.append("by someone who left")
        if item.status == "declined" and item.decline_reason:
            details.append(
                f'<div class="text-danger-emphasis">Declined: {escape(item.decline_reason)}</div>'
            )
        actions = []
        if user is not None and item.author_id == user.pk:
            actions.append(
                '<a class="btn btn-sm btn-outline-secondary" href="'
                f'{edit.replace(str(_ANY_PK), str(item.pk))}">Edit</a>\n'
                '<a class="btn btn-sm btn-outline-danger" href="'
                f'{delete.replace(str(_ANY_PK), str(item.pk))}">Delete</a>'
            )
        if can_manage and item.status == "pending":
            decision = context.template.engine.get_template("assessments/_win_decision.html")
            with context.push(item=item):
                actions.append(decision.render(context))
        actions = "\n".join(actions)
        lines.append(
            '<li class="evidence-item mb-3">\n'
            '<div class="d-flex flex-wrap align-items-baseline gap-2">\n'
            f"<strong>{escape(format_date(item.observed_on, 'j M Y'))}</strong>\n"
            + "".join(f"{badge}\n" for badge in badges)
            + f'<span class="small text-body-secondary">{about}</span>\n</div>\n'
            f'<p class="mb-1">{linebreaksbr(item.description, autoescape=True)}</p>\n'
            f'<div class="small text-body-secondary">\n{"".join(details)}\n</div>\n'
            '<div class="d-flex flex-wrap gap-2 mt-1 d-print-none">\n'
            f"{actions}\n</div>\n</li>"
        )
    return mark_safe("\n".join(lines))

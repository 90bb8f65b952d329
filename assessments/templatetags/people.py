"""Template filters for pages about people."""

from django import template
from django.template.defaultfilters import date as format_date
from django.template.defaultfilters import linebreaksbr, truncatewords
from django.template.defaulttags import CsrfTokenNode
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
    a win waiting for it (`_win_decision`). Drawn here rather than in a template loop: a
    person's page lists up to fifty on every visit."""
    user, can_manage = context.get("user"), context.get("can_manage")
    decide = _win_decision(context) if can_manage else None
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
            actions.append(decide(item, context.get("next") or ""))
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


def _win_decision(context):
    """A function of a pending win and the page to come back to (`next`) giving the
    buttons that decide it: Confirm, and Decline with the reason the person will read.
    The addresses and the form's CSRF field are worked out once, for a list of wins."""
    csrf = CsrfTokenNode().render(context)
    confirm = reverse("assessments:evidence_confirm", args=[_ANY_PK])
    decline = reverse("assessments:evidence_decline", args=[_ANY_PK])

    def decide(item, next_page):
        pk, back = str(item.pk), escape(next_page)
        return (
            f'<form method="post" action="{confirm.replace(str(_ANY_PK), pk)}">\n'
            f'  {csrf}<input type="hidden" name="next" value="{back}">\n'
            '  <button type="submit" class="btn btn-sm btn-success">Confirm</button>\n'
            "</form>\n"
            '<details class="decline">\n'
            '  <summary class="btn btn-sm btn-outline-danger">Decline…</summary>\n'
            f'  <form method="post" action="{decline.replace(str(_ANY_PK), pk)}" class="mt-2">\n'
            f'    {csrf}<input type="hidden" name="next" value="{back}">\n'
            f'    <label class="form-label small" for="reason-{pk}">Why (they will see this)'
            "</label>\n"
            f'    <textarea class="form-control form-control-sm mb-2" id="reason-{pk}" '
            'name="reason" rows="2" required maxlength="1000"></textarea>\n'
            '    <button type="submit" class="btn btn-sm btn-danger">Decline win</button>\n'
            "  </form>\n"
            "</details>"
        )

    return decide


@register.simple_tag(takes_context=True)
def pending_win_items(context, items, next_page=""):
    """A list item per pending win in `items` (the team page's wins waiting for the
    manager): whose it is, when, against what, what they wrote, and the buttons that
    decide it, coming back to `next_page`. Drawn here rather than in a template loop: a
    manager high in the tree has fifty listed on every visit."""
    decide = _win_decision(context)
    lines = []
    for item in items:
        person = item.employee
        lines.append(
            '<li class="mb-3">\n'
            f'<div><a href="{escape(person.get_absolute_url())}">{escape(person.full_name)}</a>'
            f" · {escape(format_date(item.observed_on, 'j M Y'))} · "
            '<span class="small text-body-secondary">'
            f"{richtext.render_inline(item.expectation_text)} ({escape(item.level_name)})"
            "</span></div>\n"
            f'<p class="mb-1">{linebreaksbr(item.description, autoescape=True)}</p>\n'
            f'<div class="d-flex flex-wrap gap-2">{decide(item, next_page)}</div>\n'
            "</li>"
        )
    return mark_safe("\n".join(lines))


@register.simple_tag
def team_rows(people, everyone=False):
    """A table row per person of the team page (`teamtable.measure`d): name, title, level,
    track, time in level, what they show of this level and the next with their readiness
    badge, and with `everyone` their manager. Drawn here rather than in a template loop,
    on every visit of the team page."""
    today = timezone.localdate()
    lines = []
    for person in people:
        level = person.level
        code = (
            f' <span class="text-body-secondary small">{escape(level.code)}</span>'
            if level.code
            else ""
        )
        if person.since:
            since = (
                f'<span class="text-nowrap" title="since '
                f'{escape(format_date(person.since, "j M Y"))}">'
                f"{escape(time_in_level(person.since, today))}</span>"
            )
        else:
            since = "—"
        if person.current_total:
            current = (
                f'<span class="text-nowrap">{person.current_shown} of {person.current_total} '
                f"({person.current_percent}%)</span>"
                f'<progress class="mini-bar" max="{person.current_total}" '
                f'value="{person.current_shown}" aria-hidden="true"></progress>'
            )
        else:
            current = '<span class="text-body-secondary">No expectations</span>'
        if person.next_level:
            code_, label = person.badge or ("", "")
            following = (
                f'<span class="badge readiness-{escape(code_)}" '
                f'title="{escape(person.rule.text)}">{escape(label)}</span> '
                f'<span class="text-nowrap">{escape(person.next_level.short_name)}</span>'
                f'<span class="d-block text-nowrap">{person.next_shown} of {person.next_total} '
                f"({person.next_percent}%)</span>"
                f'<progress class="mini-bar" max="{person.next_total or 1}" '
                f'value="{person.next_shown}" aria-hidden="true"></progress>'
            )
        else:
            following = '<span class="text-body-secondary">Top of track</span>'
        manager = ""
        if everyone:
            name = person.manager.full_name if person.manager else ""
            manager = (
                '<td class="d-sm-none d-lg-table-cell small" data-label="Manager">'
                f"{escape(name or '—')}</td>"
            )
        lines.append(
            "<tr>\n"
            f'<th scope="row"><a href="{escape(person.get_absolute_url())}">'
            f"{escape(person.full_name)}</a></th>\n"
            f'<td class="d-none d-md-table-cell small">{escape(person.job_title)}</td>\n'
            f'<td data-label="Level"><span class="text-nowrap">{escape(level.short_name)}'
            f"</span>{code}</td>\n"
            f'<td class="d-none d-sm-table-cell">{escape(person.track.name)}</td>\n'
            f'<td class="small" data-label="In level">{since}</td>\n'
            f'<td class="small coverage-cell" data-label="This level">{current}</td>\n'
            f'<td class="small coverage-cell" data-label="Next level">{following}</td>\n'
            f"{manager}\n</tr>"
        )
    return mark_safe("\n".join(lines))

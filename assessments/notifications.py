"""Emails about what happens to people's records, sent after the change is committed.

Email goes through Django's mailer: printed to the console until EMAIL_HOST is set.
Links are built from SITE_URL. Inside `suppressed()` (seeding demo data) nothing is sent.
"""

import contextlib
import contextvars
import logging

from django.conf import settings
from django.core.mail import EmailMessage, mailers, send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from levels.history import made_by

logger = logging.getLogger(__name__)

_suppressed = contextvars.ContextVar("notifications_suppressed", default=False)

# Emails between two reports of progress, and the stages reported, in their order.
PROGRESS_EVERY = 1000
PREPARING_LEVEL_EMAILS = "Preparing level emails"
SENDING_LEVEL_EMAILS = "Sending level emails"


@contextlib.contextmanager
def suppressed():
    """Send none of the emails of the changes made inside the block: they are dropped, not
    delayed. For data that is made up, such as the demo organisation."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _link(name, **kwargs):
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs)


def _send(*, to, subject, template, context):
    """Send after the surrounding transaction commits; a failing mail server is logged,
    never turned into an error for the person who acted."""
    if not to or _suppressed.get():
        return

    def send():
        body = render_to_string(template, context)
        try:
            send_mail(subject, body, None, [to])
        except Exception:
            logger.exception("Could not send %r to %s", subject, to)

    transaction.on_commit(send)


def evidence_shared(evidence):
    """Tell someone a manager recorded evidence about them that they can read: evidence
    that shows an expectation, or a growth note (what to work on)."""
    person = evidence.employee
    growth = evidence.kind == evidence.Kind.GROWTH
    _send(
        to=person.email,
        subject="A growth note on your PM Ladder page"
        if growth
        else "New evidence on your PM Ladder page",
        template="emails/evidence_shared.txt",
        context={"evidence": evidence, "person": person, "link": _link("assessments:me")},
    )


def win_logged(evidence):
    """Tell a person's manager that a win waits for their confirmation."""
    manager = evidence.employee.manager
    if manager is None:
        return
    _send(
        to=manager.email,
        subject=f"{evidence.employee} logged a win for you to confirm",
        template="emails/win_logged.txt",
        context={
            "evidence": evidence,
            "manager": manager,
            "link": _link("assessments:person", pk=evidence.employee_id),
        },
    )


def review_shared(review):
    """Tell someone a level review of them has been shared."""
    person = review.employee
    _send(
        to=person.email,
        subject=f"Your level review against {review.target_level_name} is ready",
        template="emails/review_shared.txt",
        context={
            "review": review,
            "person": person,
            "link": _link("assessments:review", pk=review.pk),
        },
    )


def win_decided(evidence):
    """Tell a person their win was confirmed, or declined and why."""
    person = evidence.employee
    confirmed = evidence.status == evidence.Status.CONFIRMED
    _send(
        to=person.email,
        subject="Your win was confirmed" if confirmed else "Your win was declined",
        template="emails/win_decided.txt",
        context={"evidence": evidence, "person": person, "link": _link("assessments:me")},
    )


def review_acknowledged(review):
    """Tell the author of a review that the person acknowledged it."""
    author = review.author
    if author is None or not author.email:
        return
    _send(
        to=author.email,
        subject=f"{review.employee} acknowledged their review",
        template="emails/review_acknowledged.txt",
        context={"review": review, "link": _link("assessments:review", pk=review.pk)},
    )


def level_assigned(assignment, *, job_title=None):
    """Tell a person their new level (and `job_title`, their new title when it changed
    with it), and send their manager a copy. Called by the Assign level page; promotion
    rounds send their own outcome email instead."""
    for to, subject, template, context in _level_emails(assignment, job_title=job_title):
        _send(to=to, subject=subject, template=template, context=context)


def levels_assigned(assignments, *, progress=None):
    """`level_assigned` for many people at once (an import, a ladder replaced): every email
    over one connection to the mail server, after the surrounding transaction commits.
    Each assignment needs its employee (with their manager), level, track and assigned_by
    loaded. `progress(done, total, stage)`, when given, is told how the emails go, every
    `PROGRESS_EVERY` of them."""
    if _suppressed.get():
        return
    emails = [email for assignment in assignments for email in _level_emails(assignment)]
    if not emails:
        return

    def report(done, stage):
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(emails)):
            progress(done, len(emails), stage)

    def send():
        messages = []
        for to, subject, template, context in emails:
            report(len(messages), PREPARING_LEVEL_EMAILS)
            messages.append(EmailMessage(subject, render_to_string(template, context), None, [to]))
        report(len(messages), PREPARING_LEVEL_EMAILS)
        try:
            with mailers.default as mailer:
                for done, message in enumerate(messages):
                    report(done, SENDING_LEVEL_EMAILS)
                    try:
                        mailer.send_messages([message])
                    except Exception:
                        logger.exception("Could not send %r to %s", message.subject, message.to)
        except Exception:
            logger.exception("Could not reach the mail server to send %d emails", len(messages))
        report(len(messages), SENDING_LEVEL_EMAILS)

    transaction.on_commit(send)


def _level_emails(assignment, *, job_title=None):
    """The emails of one level change: (to, subject, template, context) for the person and,
    as a copy, their manager; none to anyone without an email address."""
    person = assignment.employee
    context = {
        "assignment": assignment,
        "person": person,
        "job_title": job_title,
        "by": made_by(assignment.assigned_by, nobody=""),
    }
    emails = []
    if person.email:
        emails.append(
            (
                person.email,
                f"Your level is now {assignment.level.name}",
                "emails/level_assigned.txt",
                {**context, "link": _link("assessments:me")},
            )
        )
    manager = person.manager
    if manager is not None and manager.email:
        emails.append(
            (
                manager.email,
                f"{person} is now {assignment.level.name}",
                "emails/level_assigned_manager.txt",
                {
                    **context,
                    "manager": manager,
                    "by_manager": manager.user_id is not None
                    and manager.user_id == assignment.assigned_by_id,
                    "link": _link("assessments:person", pk=person.pk),
                },
            )
        )
    return emails

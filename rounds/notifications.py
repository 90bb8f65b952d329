"""Emails about promotion rounds, sent after the change is committed."""

from assessments.notifications import _link, _send


def outcome(nomination):
    """Tell the person and their manager the outcome of a finalised round."""
    person = nomination.employee
    context = {
        "nomination": nomination,
        "person": person,
        "round": nomination.round,
        "promoted": nomination.decision == nomination.Decision.PROMOTE,
    }
    _send(
        to=person.email,
        subject=f"Your outcome in {nomination.round}",
        template="emails/round_outcome.txt",
        context={**context, "link": _link("assessments:me")},
    )
    if person.manager is not None:
        _send(
            to=person.manager.email,
            subject=f"{person}'s outcome in {nomination.round}",
            template="emails/round_outcome_manager.txt",
            context={**context, "link": _link("rounds:nomination", pk=nomination.pk)},
        )

"""Pages of nominations: nominating someone in a round, reading a nomination (what of it
`access.sight` allows), changing or withdrawing it, endorsing it and deciding it.

A nomination is loaded through `access.get_nomination`, a person through
`access.get_employee`: what a user may not see is a 404, what they see but may not do a
403. Every write goes through `rounds.services`; input it refuses comes back as typed, with
the reason beside the field."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from assessments import access, readiness
from assessments.forms import apply_errors

from . import selectors, services
from .models import Nomination, Round
from .nomination_forms import DecideForm, EndorseForm, NominationForm

# Nominating ----------------------------------------------------------------------------------


def _requested_round(request, employee):
    """The round asked for (`?round=`, or the one posted), or None: 404 when the user may
    not see it, 403 with the reason when they may not nominate `employee` in it."""
    value = request.POST.get("round") if request.method == "POST" else request.GET.get("round")
    if not value:
        return None
    if not value.isdigit():
        raise Http404("No such round.")
    round = access.get_round(request.user, int(value))
    refusal = access.nomination_refusal(request.user, round, employee)
    if refusal is not None:
        raise PermissionDenied(refusal[:1].upper() + refusal[1:] + ".")
    return round


def _targets(employee):
    """The levels `employee` may be nominated for, each with their readiness for it."""
    targets = selectors.targets_for(employee)
    for target in targets:
        target.readiness = readiness.readiness(employee=employee, level=target.level)
    return targets


def nominate(request, pk):
    """Nominate someone (or oneself, where a round allows it) in a round taking
    nominations, for a next level, with a case for each promotion criterion."""
    employee = access.get_employee(request.user, pk)
    own = access.is_self(request.user, employee)
    rounds = selectors.rounds_to_nominate(request.user, employee)
    requested = _requested_round(request, employee)
    if requested is not None and requested not in rounds:
        # Allowed to nominate them there, so already nominated in it.
        existing = Nomination.objects.filter(round=requested, employee=employee).first()
        if request.method == "GET":
            if existing is not None and access.can(request.user, access.VIEW, existing):
                messages.info(request, f"{employee} is already nominated in {requested}.")
                return redirect(existing)
            raise PermissionDenied(f"{employee} is already nominated in {requested}.")
        rounds = [requested, *rounds]  # the service says why, and nothing typed is lost
    if not rounds:
        if own:
            raise PermissionDenied(
                "No round taking nominations lets you put yourself forward at the moment."
            )
        return render(
            request,
            "rounds/nominate.html",
            {
                "employee": employee,
                "form": None,
                "nominated": selectors.person_nominations(request.user, employee),
            },
        )
    targets = _targets(employee)
    initial = {"round": (requested or rounds[0]).pk}
    if targets:
        initial["target"] = targets[0].value
    form = NominationForm(
        request.POST or None,
        rounds=rounds,
        targets=targets,
        criteria=employee.ladder.promotion_criteria.all(),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            nomination = services.nominate(
                round=form.cleaned_data["round"],
                employee=employee,
                target_level=target.level,
                target_track=target.track,
                cases=form.cases(),
                by=request.user,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            who = "You are" if own else f"{employee} is"
            messages.success(
                request,
                f"{who} nominated for {target.level.name} in {nomination.round}. The case can "
                "change until nominations close.",
            )
            return redirect(nomination)
    return render(
        request,
        "rounds/nominate.html",
        {"employee": employee, "own": own, "form": form, "targets": targets},
        status=400 if form.errors else 200,
    )


def nomination_edit(request, pk):
    """Change the case, or the target level, while the round takes nominations."""
    nomination = access.get_nomination(request.user, pk, access.CHANGE)
    employee = nomination.employee
    targets = _targets(employee)
    form = NominationForm(
        request.POST or None,
        targets=targets,
        criteria=employee.ladder.promotion_criteria.all(),
        initial=NominationForm.initial_from(nomination),
    )
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            services.update_nomination(
                nomination=nomination,
                by=request.user,
                cases=form.cases(),
                target_level=target.level,
                target_track=target.track,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"The nomination of {employee} is saved.")
            return redirect(nomination)
    return render(
        request,
        "rounds/nominate.html",
        {
            "employee": employee,
            "own": access.is_self(request.user, employee),
            "nomination": nomination,
            "form": form,
            "targets": targets,
        },
        status=400 if form.errors else 200,
    )


def nomination_withdraw(request, pk):
    """Take a nomination back while the round takes nominations: asks first (GET)."""
    nomination = access.get_nomination(request.user, pk, access.CHANGE)
    if request.method == "POST":
        round, employee = nomination.round, nomination.employee
        services.withdraw(nomination=nomination, by=request.user)
        messages.success(request, f"The nomination of {employee} in {round} is withdrawn.")
        if access.can(request.user, access.VIEW, round):
            return redirect(round)
        return redirect(employee)
    return render(request, "rounds/nomination_withdraw.html", {"nomination": nomination})


# Reading, endorsing and deciding ---------------------------------------------------------------


def nomination(request, pk):
    """A nomination, as much of it as the viewer may read, with what they may do."""
    return _page(request, access.get_nomination(request.user, pk))


def _page(request, nomination, *, endorse_form=None, decide_form=None, stale=False, status=200):
    """The nomination page: the header, then what `nomination.sight` allows (the case and
    endorsements, the packet, the outcome, the rationale, the committee's deliberation),
    with the forms the viewer may use."""
    user, sight = request.user, nomination.sight
    round, employee = nomination.round, nomination.employee
    can_decide = access.DELIBERATION in sight and access.can(user, access.DECIDE, nomination)
    if can_decide and decide_form is None:
        # Where the Decide link came from (the calibration page), to go back once saved.
        back = request.GET.get("next", "")
        decide_form = DecideForm(initial=DecideForm.initial_from(nomination, back))
    can_endorse = access.CASE in sight and access.can(user, access.ENDORSE, nomination)
    endorsements = list(nomination.endorsements.all()) if access.CASE in sight else []
    if can_endorse and endorse_form is None:
        if any(e.author_id == user.pk for e in endorsements):
            can_endorse = False  # said already: their words are listed
        else:
            endorse_form = EndorseForm()
    packet = None
    if access.PACKET in sight:
        packet = selectors.readable_packet(selectors.packet_of(nomination))
    changes = []
    if access.DELIBERATION in sight:
        changes = list(nomination.changes.all()[:100])
    return render(
        request,
        "rounds/nomination.html",
        {
            "nomination": nomination,
            "round": round,
            "employee": employee,
            "is_person": access.is_self(user, employee),
            "sight": {
                name: name in sight
                for name in (
                    access.CASE,
                    access.PACKET,
                    access.OUTCOME,
                    access.RATIONALE,
                    access.DELIBERATION,
                )
            },
            "finalised": round.state == Round.State.FINALISED,
            "calibrating": round.state == Round.State.CALIBRATING,
            "person_visible": access.can(user, access.VIEW, employee),
            "round_visible": access.can(user, access.VIEW, round),
            "can_change": access.can(user, access.CHANGE, nomination),
            "endorsements": endorsements,
            "endorse_form": endorse_form if can_endorse else None,
            "decide_form": decide_form if can_decide else None,
            "stale": stale,
            "packet": packet,
            "frozen": nomination.snapshot is not None,
            "changes": changes,
        },
        status=status,
    )


@require_POST
def nomination_endorse(request, pk):
    """Back a nomination from above the person's manager."""
    nomination = access.get_nomination(request.user, pk, access.ENDORSE)
    form = EndorseForm(request.POST)
    if form.is_valid():
        try:
            services.endorse(nomination=nomination, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"Your endorsement of {nomination.employee}'s nomination is saved."
            )
            return redirect(nomination)
    return _page(request, nomination, endorse_form=form, status=400)


@require_POST
def nomination_decide(request, pk):
    """Record the committee's decision while the round calibrates; then back to `next`
    (the calibration page, say) when it is an address of this site."""
    nomination = access.get_nomination(request.user, pk, access.DECIDE)
    form = DecideForm(request.POST)
    stale = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decide(
                nomination=nomination,
                by=request.user,
                decision=data["decision"],
                rationale=data["rationale"],
                feedback=data["feedback"],
                discussion=data["discussion"],
                version=data["version"],
            )
        except ValidationError as error:
            stale = getattr(error, "code", None) == "stale"
            apply_errors(form, error)
        else:
            messages.success(request, f"Decision saved for {nomination.employee}.")
            target = data["next"]
            if target and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(target)
            return redirect(nomination)
    if stale:
        # Show the decision as saved now; saving again is made against it, with the text
        # as typed.
        nomination = access.get_nomination(request.user, pk, access.DECIDE)
        form.data = form.data.copy()
        form.data["version"] = nomination.version
    return _page(request, nomination, decide_form=form, stale=stale, status=409 if stale else 400)

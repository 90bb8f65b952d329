"""Pages of promotion rounds: the list, a round's form and page, the steps that move it on
(each asked to confirm first), and calibration.

A round is loaded through `access.get_round`, so a round a user may not see is a 404 and
one they may see but not run is a 403, both logged. Writes go through `rounds.services`;
a refusal comes back on the page (status 400) with nothing typed lost."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode

from assessments import access
from assessments.forms import apply_errors
from assessments.models import Employee
from assessments.selectors import employee_of
from pmladder.database import planned_for_their_values

from . import selectors, services
from .forms import CalibrateFilterForm, RoundForm, committee_suggestions, root_suggestions
from .models import Nomination, Round

LIST_PAGE_SIZE = 25
NOMINATIONS_PAGE_SIZE = 50
NOMINATABLE_PAGE_SIZE = 25
CANDIDATES_PAGE_SIZE = 50
SEARCH_MAX = 100
# Committee members named on a round's page: a default committee of a large organisation
# holds thousands; the rest are counted.
COMMITTEE_NAMED = 30

State = Round.State

# The step that moves a round on from each state: (address name, button).
NEXT_STEP = {
    State.DRAFT: ("open", "Open nominations"),
    State.NOMINATING: ("close", "Close nominations"),
    State.CALIBRATING: ("finalise", "Finalise"),
}
# Each step: the state it moves a round on from, and its name in a sentence.
STEPS = {
    "open": (State.DRAFT, "Opening nominations"),
    "close": (State.NOMINATING, "Closing nominations"),
    "finalise": (State.CALIBRATING, "Finalising"),
}


def _plural(count, word, plural=None):
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _query(request, **changes):
    """The page's query string with `changes` made (None removes a name)."""
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, ""):
            query[name] = value
    return query.urlencode()


# The list -------------------------------------------------------------------------------------


def round_list(request):
    """The rounds the viewer may see, newest deadline first, with how many of their
    nominations each holds that the viewer may see."""
    user = request.user
    rounds = selectors.with_nomination_counts(
        access.restrict(Round.objects.all(), user, access.VIEW),
        access.restrict(Nomination.objects.all(), user, access.VIEW),
    )
    page = Paginator(rounds, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "rounds/round_list.html", {"page": page, "is_hr": access.is_hr(user)})


# Creating and editing -----------------------------------------------------------------------


def _round_form(request, round=None):
    return RoundForm(request.POST or None, round=round, lookup_url=reverse("rounds:people_lookup"))


def round_new(request):
    """HR opens a new round, in draft."""
    if not access.is_hr(request.user):
        access.refuse(request.user, "create", "a round", "only HR runs promotion rounds")
    form = _round_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            round = services.create_round(by=request.user, **form.service_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"{round} is saved as a draft: only HR sees it. Open nominations when it is ready.",
            )
            return redirect(round)
    return render(
        request,
        "rounds/round_form.html",
        {"form": form, "round": None},
        status=400 if form.errors else 200,
    )


def round_edit(request, pk):
    """HR changes a round until it is finalised; its scope only until nominations close."""
    round = access.get_round(request.user, pk, access.RUN)
    if round.is_finalised:
        access.refuse(request.user, "edit", f"round {pk}", "a finalised round is read-only")
    form = _round_form(request, round)
    if request.method == "POST" and form.is_valid():
        try:
            round = services.update_round(round=round, by=request.user, **form.service_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Changes to {round} saved.")
            return redirect(round)
    return render(
        request,
        "rounds/round_form.html",
        {"form": form, "round": round},
        status=400 if form.errors else 200,
    )


LOOKUP_FOR = {"root": root_suggestions, "committee": committee_suggestions}


def people_lookup(request):
    """Suggestions for the round form's people boxes, as JSON: the people whose name or
    email starts with `q`, at most `forms.SUGGESTIONS`, for the part of the organisation
    (`for=root`: people with a team) or the committee (`for=committee`). For those who run
    rounds; a query nobody could match gets no results rather than an error."""
    if not access.is_hr(request.user):  # as for creating a round
        access.refuse(
            request.user, "look up", "people for a round", "only HR runs promotion rounds"
        )
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse({"results": []})
    suggest = LOOKUP_FOR.get(request.GET.get("for", ""))
    if suggest is None:
        return JsonResponse({"error": "Ask for=root or for=committee."}, status=400)
    if len(query) > SEARCH_MAX or "\x00" in query:
        return JsonResponse({"results": []})  # no name or email is like that
    with planned_for_their_values():  # a search: planned for what was typed
        results = list(suggest(query))
    return JsonResponse({"results": results})


# A round's page -------------------------------------------------------------------------------


def _stepper(round):
    """The round's states in order, each "done", "current" or "todo"."""
    states = list(State)
    current = states.index(State(round.state))
    return [
        {
            "label": state.label,
            "status": "done" if i < current else "current" if i == current else "todo",
        }
        for i, state in enumerate(states)
    ]


def round_detail(request, pk):
    """A round: where it stands, its dates, scope and committee; the levels to calibrate
    (HR and the committee); the nominations the viewer may see; and, while it takes
    nominations, the people the viewer can nominate."""
    user = request.user
    round = access.get_round(user, pk)
    visible = access.restrict(Nomination.objects.all(), user, access.VIEW)
    can_run = access.can(user, access.RUN, round)
    can_calibrate = access.can(user, access.CALIBRATE, round)
    on_committee = access.on_committee(user, round)
    nominations = Paginator(
        selectors.nominations_of(round, visible), NOMINATIONS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for nomination in nominations:
        nomination.nominator_name = selectors.person_name(nomination.nominated_by)
    taking = round.state == State.NOMINATING and round.nomination_deadline >= selectors.today()
    committee = list(selectors.committee_of(round)[: COMMITTEE_NAMED + 1])
    more = 0
    if len(committee) > COMMITTEE_NAMED:
        committee = committee[:COMMITTEE_NAMED]
        more = round.committee.count() - COMMITTEE_NAMED
    context = {
        "round": round,
        "steps": _stepper(round),
        "ladders": list(round.ladders.all()),
        "committee": [selectors.person_name(member) for member in committee],
        "committee_more": more,
        "can_run": can_run,
        "next_step": NEXT_STEP.get(round.state) if can_run else None,
        "levels": selectors.levels_of(round, visible) if can_calibrate else [],
        "can_calibrate": can_calibrate,
        "nominations": nominations,
        "nominations_query": _query(request, page=None),
        "show_decision": on_committee or round.is_finalised,
        "taking": taking,
        "deadline_passed": round.state == State.NOMINATING and not taking,
    }
    if taking and access.is_manager(user):
        search = request.GET.get("q", "").strip()[:SEARCH_MAX]
        people = selectors.nominatable(
            round, access.restrict(Employee.objects.all(), user, access.MANAGE), search=search
        )
        context["people"] = Paginator(people, NOMINATABLE_PAGE_SIZE).get_page(
            request.GET.get("people")
        )
        context["search"] = search
        context["show_people"] = True
        context["people_query"] = _query(request, people=None)
    me = employee_of(user)
    if taking and round.self_nomination and me is not None:
        context["self_nominate"] = (
            access.nomination_refusal(user, round, me) is None
            and not Nomination.objects.filter(round=round, employee=me).exists()
        )
        context["me"] = me
    return render(request, "rounds/round_detail.html", context)


# Moving a round on ----------------------------------------------------------------------------


def round_move(request, pk, step):
    """Open nominations, close them, or finalise: a page saying what will happen (GET),
    then the step itself (POST). A refusal comes back on the same page with the reason."""
    round = access.get_round(request.user, pk, access.RUN)
    if request.method != "POST":
        return _confirm(request, round, step)
    try:
        if step == "open":
            round = services.open_nominations(round=round, by=request.user)
            text = (
                f"Nominations are open: managers can nominate people until "
                f"{date_format(round.nomination_deadline)}."
            )
        elif step == "close":
            round = services.close_nominations(round=round, by=request.user)
            count = round.nominations.count()
            text = (
                f"Nominations closed: {_plural(count, 'packet')} frozen as "
                f"{'it stands' if count == 1 else 'they stand'}. The committee can calibrate now."
            )
        else:
            result = services.finalise(round=round, by=request.user)
            round = result.round
            if result.already:
                messages.info(request, f"{round} was already finalised; nothing more was written.")
                return redirect(round)
            text = (
                f"Finalised: {_plural(len(result.promoted), 'promotion')} written; each "
                "person nominated and their manager have been emailed their outcome."
            )
    except ValidationError as error:
        round = access.get_round(request.user, pk, access.RUN)  # as it is now
        return _confirm(request, round, step, errors=error.messages, status=400)
    messages.success(request, text)
    return redirect(round)


def _confirm(request, round, step, *, errors=(), status=200):
    """The page before a step: what it will do, or why it cannot be done now."""
    from_state, doing = STEPS[step]
    context = {
        "round": round,
        "step": step,
        "errors": errors,
        "steps": _stepper(round),
        "today": selectors.today(),
    }
    if round.state != from_state:
        if round.is_finalised and step == "finalise":
            context["blocked"] = [
                f"This round was finalised on {date_format(round.finalised_at.date())}."
                if round.finalised_at
                else "This round is finalised."
            ]
        else:
            context["blocked"] = [
                f"{doing} is for a round that is {from_state.label.lower()}; this one is "
                f"{round.get_state_display().lower()}."
            ]
    elif step == "open":
        context["covered"] = selectors.scope(round).count()
        if round.nomination_deadline < selectors.today():
            context["blocked"] = [
                f"The nomination deadline, {date_format(round.nomination_deadline)}, has "
                "passed: edit the round to move it to today or later first."
            ]
    elif step == "close":
        context["count"] = round.nominations.count()
        context["early"] = round.nomination_deadline >= selectors.today()
    else:
        preview = selectors.finalise_preview(round)
        context["preview"] = preview
        blocked = []
        if preview.undecided:
            blocked.append(
                f"{_plural(len(preview.undecided), 'nomination is', 'nominations are')} "
                "not decided yet: the committee decides each one first."
            )
        if preview.too_early:
            blocked.append(
                f"The promotions take effect on {date_format(round.effective_on)}: finalise "
                "the round on or after that day, so every level shown is in force."
            )
        if preview.level_changed:
            names = ", ".join(n.employee.full_name for n in preview.level_changed)
            blocked.append(
                f"The level of {names} changed since the nomination: the committee decides "
                "again first."
            )
        context["blocked"] = blocked
    return render(request, "rounds/round_move.html", context, status=status)


# Calibration ----------------------------------------------------------------------------------

# How each sort orders its column, for aria-sort.
SORT_DIRECTION = {
    "readiness": "descending",
    "span": "descending",
    "time": "descending",
    "name": "ascending",
    "manager": "ascending",
}


def calibrate(request, pk):
    """The candidates for one target level side by side, from their frozen packets:
    filtered and sorted through the address, each with a way to its decision."""
    user = request.user
    round = access.get_round(user, pk, access.CALIBRATE)
    visible = access.restrict(Nomination.objects.filter(round=round), user, access.VIEW)
    levels = selectors.levels_of(round, visible)
    raw = request.GET.get("level")
    if not raw:
        if levels:
            return redirect(
                f"{reverse('rounds:calibrate', kwargs={'pk': round.pk})}?"
                f"{urlencode({'level': levels[0]['id']})}"
            )
        return render(request, "rounds/calibrate.html", {"round": round, "levels": []})
    try:
        level_id = int(raw)
    except ValueError:
        raise Http404("No such level in this round.") from None
    level = next((item for item in levels if item["id"] == level_id), None)
    if level is None:
        raise Http404("No such level in this round.")

    everyone = selectors.candidates(visible, level_id=level_id)
    managers = sorted({row.manager for row in everyone if row.manager})
    form = CalibrateFilterForm(request.GET, managers=managers)
    filters = form.filters()
    sort = filters.pop("sort", "readiness")
    rows = selectors.arrange(everyone, sort=sort, **filters)
    page = Paginator(rows, CANDIDATES_PAGE_SIZE).get_page(request.GET.get("page"))
    here = request.get_full_path()
    deciding = round.state == State.CALIBRATING
    for row in page:
        nomination = row.nomination
        row.cases_given = [case for case in nomination.cases if case.get("case")]
        row.endorsement_count = len(nomination.endorsements.all())
        row.can_decide = deciding and not access.is_self(user, nomination.employee)
        row.decide_url = (
            f"{reverse('rounds:nomination', kwargs={'pk': nomination.pk})}?"
            f"{urlencode({'next': here})}#decide"
        )
    headers = [
        {
            "key": key,
            "label": label,
            "url": "?" + _query(request, sort=key, page=None),
            "aria_sort": SORT_DIRECTION[key] if key == sort else None,
        }
        for key, (label, _) in selectors.SORTS.items()
    ]
    return render(
        request,
        "rounds/calibrate.html",
        {
            "round": round,
            "levels": levels,
            "level": level,
            "form": form,
            "page": page,
            "sort": sort,
            "headers": {header["key"]: header for header in headers},
            "filtered": bool(filters),
            "ignored": form.ignored(),
            "query": _query(request, page=None),
            "clear_url": "?" + urlencode({"level": level_id}),
            "deciding": deciding,
            "total": len(everyone),
        },
    )

"""Pages about people. Every person-scoped view loads its person through
`access.get_employee`, so what a user may not see is a 404, logged."""

from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F, Func, Q, QuerySet, Subquery
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from levels import careerpath
from levels.structure import ladder_structure
from levels.views import level_urls
from pmladder.database import planned_for_their_values
from rounds import selectors as round_selectors

from . import (
    access,
    notifications,
    readiness,
    reviews,
    selectors,
    services,
    teamtable,
    waiting,
)
from . import evidence as evidence_services
from .context_processors import agree_with_listed
from .forms import AssignLevelForm, TeamFilterForm, apply_errors
from .models import Employee, Review

TEAM_PAGE_SIZE = 25
# Evidence a person's page lists at first, newest first: years of it would make every visit
# slow; `?evidence=all` lists the rest.
EVIDENCE_SHOWN = 50


class CountedPaginator(Paginator):
    """A paginator of a queryset that finds a page's rows and the total in one query: the
    count rides along each row's id as an uncorrelated subquery, which the database works
    out once, by the same index as the rows. Then those rows alone are read whole, with
    their related rows, rather than joining those to everyone before the sort keeps a
    page. Rows that are groups (people with aggregated figures) are counted as a set of
    ids. Only a page past the end (or nobody at all) costs a count and then the last page,
    as Django's own paginator does."""

    def get_page(self, number):
        try:
            number = self._validate_number(number, float("inf"))
        except PageNotAnInteger:
            number = 1
        except EmptyPage:  # below 1: Django's paginator shows the last page
            return super().get_page(number)
        counted = self.object_list.order_by()
        if counted.query.group_by is not None:  # rows are groups (figures aggregated)
            counted = counted.model._base_manager.filter(pk__in=counted.values("pk")).order_by()
        total = counted.annotate(n=Func(F("pk"), function="COUNT"))
        bottom = (number - 1) * self.per_page
        head = list(
            self.object_list.annotate(paged_total=Subquery(total.values("n"))).values_list(
                "pk", "paged_total"
            )[bottom : bottom + self.per_page]
        )
        if not head:
            return super().get_page(number)
        self.count = head[0][1]  # what Django's paginator would count
        rows = selectors.in_order(self.object_list.order_by(), [pk for pk, _ in head])
        return self._get_page(rows, number, self)


def me(request):
    employee = selectors.employee_of(request.user)
    # Drafts wait only for someone who manages people (`waiting`): nobody else has any.
    drafts = []
    if access.is_manager(request.user):
        drafts = list(waiting.drafts(request.user).select_related("employee").order_by("pk"))
    listed = waiting.listed_reviews(drafts, "drafts")
    if employee is None:
        agree_with_listed(request, **listed)
        return render(request, "assessments/me_unplaced.html", {"drafts": drafts})
    context = _person_context(request, employee, own=True)
    # The banner: shared reviews waiting for the person's acknowledgement, from the list the
    # page shows further down (no query of its own).
    context["waiting_reviews"] = [r for r in context["reviews"] if r.status == Review.Status.SHARED]
    context["drafts"] = drafts
    # The banner and the drafts agree with the navigation's counts.
    agree_with_listed(
        request, **listed, **waiting.listed_reviews(context["waiting_reviews"], "to_acknowledge")
    )
    return render(request, "assessments/me.html", context)


def person(request, pk):
    employee = access.get_employee(request.user, pk)
    own = access.is_self(request.user, employee)
    return render(request, "assessments/person.html", _person_context(request, employee, own=own))


def _person_context(request, employee, *, own):
    history = list(selectors.level_history(employee))
    employee.assignment_list = history
    structure = ladder_structure(employee.ladder)
    place = selectors.placement(employee, structure)
    # The placement has loaded each level's expectations already: measure against those,
    # every level in one go.
    current, *following = readiness.readiness_for(
        employee=employee,
        targets=[
            (employee.level, [e for group in place.groups for e in group.expectations]),
            *((step.level, step.level.expectation_list) for step in place.next_steps),
        ],
        criteria=structure.criteria,
    )
    for step, measured in zip(place.next_steps, following, strict=True):
        step.readiness = measured
        readiness.pair_changes(changes=step.changes, result=step.readiness)
    evidence = evidence_services.evidence_for(request.user, employee)
    every_item = request.GET.get("evidence") == "all"
    listed = list(evidence if every_item else evidence[: EVIDENCE_SHOWN + 1])
    return {
        "reviews": reviews.reviews_for(request.user, employee),
        "readiness": current,
        "evidence": listed[:EVIDENCE_SHOWN] if not every_item else listed,
        "evidence_more": not every_item and len(listed) > EVIDENCE_SHOWN,
        "employee": employee,
        "own": own,
        "can_manage": not own,  # whoever may see someone else may manage them (`access`)
        "history": history,
        "since": employee.level_since,
        "placement": place,
        "manager_visible": not own or access.is_hr(request.user),
        "promotion": _promotion(request.user, employee),
        # The ladder's picture, marking where the person is (`levels.careerpath.marker`).
        "career_paths": careerpath.pictures(
            structure.track_paths(), url=level_urls(employee.ladder)
        ),
        "career_path_person": employee,
    }


def _promotion(user, employee):
    """Promotion rounds on a person's page: the nominations of them that `user` may see
    (the person: those they made, and their outcomes once finalised), and the rounds in
    which `user` may nominate them now (the person: put themselves forward)."""
    return {
        "nominations": round_selectors.person_nominations(user, employee, limit=5),
        "rounds": round_selectors.rounds_to_nominate(user, employee),
    }


def assign_level(request, pk):
    employee = access.get_employee(request.user, pk, access.MANAGE)
    latest = services.latest_assignment(employee)
    structure = ladder_structure(employee.ladder)
    following = structure.next_levels()
    form = AssignLevelForm(
        request.POST or None,
        employee=employee,
        paths=structure.track_paths(),
        based_on=latest.pk if latest else 0,
        suggested=following.get((employee.track_id, employee.level_id)),
    )
    stale = False
    if request.method == "POST" and form.is_valid():
        title_before = employee.job_title
        try:
            assignment = services.assign_level(
                employee=employee,
                level=form.cleaned_data["level"],
                track=form.cleaned_data["track"],
                effective_on=form.cleaned_data["effective_on"],
                rationale=form.cleaned_data["rationale"],
                by=request.user,
                based_on=form.cleaned_data["based_on"],
                job_title=form.cleaned_data["job_title"]
                if form.cleaned_data["update_title"]
                else None,
            )
        except ValidationError as error:
            stale = getattr(error, "code", None) == "stale"
            apply_errors(form, error, rename={"level": "placement", "track": "placement"})
            if stale:  # the next save is made against what the page shows now
                form.data = form.data.copy()
                form.data["based_on"] = latest.pk if latest else 0
        else:
            # Committed: the person and their manager hear of it (a round's outcome sends
            # its own email, so the service does not).
            new_title = employee.job_title if employee.job_title != title_before else None
            notifications.level_assigned(assignment, job_title=new_title)
            said = [f"{employee} is now {assignment.level.name}."]
            if new_title:
                said.append(f"Their job title is now “{new_title}”.")
            if employee.email:
                said.append("They get an email about it.")
            messages.success(request, " ".join(said))
            return redirect(employee)
    status = 409 if stale else 400 if form.errors else 200
    return render(
        request,
        "assessments/assign_level.html",
        {"employee": employee, "form": form},
        status=status,
    )


def team(request):
    """The people below the signed-in manager (or everyone, for HR) in a table sorted and
    filtered through the address, a page at a time. A search by name is planned for the
    words searched (`planned_for_their_values`)."""
    if request.GET.get("q", "").strip():
        with planned_for_their_values():
            return _team(request)
    return _team(request)


def _team(request):
    listing = _team_listing(request)
    if listing is None:
        return _nobody_reports(request)
    me, everyone = listing.me, listing.everyone
    pending_wins = waiting.wins_to_list(me) if me else []
    wins_waiting = waiting.listed_wins(pending_wins)
    if me is not None:  # the wins listed here agree with the navigation's count
        agree_with_listed(request, **wins_waiting)
    arranged, behind = teamtable.arrange(
        listing.people, sort=listing.sort, badges=listing.badges, ladders=listing.ladders
    )
    page = CountedPaginator(arranged, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
    # The figures of the page's rows only, in one query (sorting by name needs none).
    teamtable.measure(listing.people, page.object_list, listing.ladders)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "assessments/team.html",
        {
            "form": listing.form,
            "page": page,
            "everyone": everyone,
            "me": me,
            "query": query.urlencode(),
            "headers": _team_headers(request, listing.sort, everyone=everyone),
            "sort": listing.sort,
            "filtered": listing.filtered,
            "pending_wins": pending_wins,
            "wins_waiting": waiting.shown(wins_waiting["wins"]),
            "wins_unlisted": wins_waiting["wins"] > len(pending_wins),
            "ignored": listing.ignored,
            "readiness_behind": behind,
        },
    )


def team_export(request):
    """The team table as CSV, filtered and sorted as the page is, every page of it:
    streamed, so a whole organisation downloads without being held in memory."""
    listing = _team_listing(request)
    if listing is None:
        return _nobody_reports(request)
    arranged, _ = teamtable.arrange(
        listing.people,
        sort=listing.sort,
        badges=listing.badges,
        ladders=listing.ladders,
        figures=True,
    )
    response = StreamingHttpResponse(
        teamtable.csv_lines(arranged, listing.ladders), content_type="text/csv; charset=utf-8"
    )
    name = f"{'everyone' if listing.everyone else 'team'}-{timezone.localdate():%Y-%m-%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _nobody_reports(request):
    messages.info(request, "The team page lists the people who report to you; nobody does yet.")
    return redirect("assessments:me")


class TeamListing(NamedTuple):
    """Who the team table lists for a request, by its filters, and how it sorts them."""

    me: Employee | None
    form: TeamFilterForm
    everyone: bool
    people: QuerySet
    ladders: list
    sort: str  # a value of `teamtable.sort_choices`
    badges: list | None  # the readiness badges kept, or None for everyone
    filtered: bool
    ignored: list  # the labels of the filters ignored


def _team_listing(request):
    """The `TeamListing` of the team page and its CSV; None for a person with nobody
    reporting to them (the page sends them to their own); PermissionDenied for a user
    with no place on the ladder who is not HR. Filters that cannot be used are ignored
    and named, the rest applied."""
    me = selectors.employee_of(request.user)
    if not access.is_manager(request.user):  # HR, and anyone with someone reporting to them
        if me is None:
            raise PermissionDenied("The team page is for managers.")
        return None
    if me is not None:
        ladder_ids = Employee.objects.filter(Q(pk=me.pk) | Q(manager=me)).values("ladder")
    else:
        ladder_ids = Employee.objects.values("ladder")
    form = TeamFilterForm(request.GET or None, ladder_ids=ladder_ids)
    ignored = [] if not form.is_bound or form.is_valid() else list(form.errors)
    filters = form.cleaned_data if form.is_bound else {}
    everyone = filters.get("scope") == "all"
    if me is not None:
        people = selectors.team(me, everyone=everyone)
    else:  # HR without a place in the tree sees the whole organisation
        people = selectors.team_of_everyone()
        everyone = True
    if filters.get("level"):
        people = people.filter(level=filters["level"])
    if filters.get("track"):
        people = people.filter(track=filters["track"])
    if filters.get("q"):
        people = people.filter(
            Q(full_name__icontains=filters["q"]) | Q(job_title__icontains=filters["q"])
        )
    sort = filters.get("sort") or teamtable.DEFAULT_SORT
    if teamtable.parse_sort(sort)[0].everyone_only and not everyone:
        ignored.append("sort")  # no manager column: they all report to you
        sort = teamtable.DEFAULT_SORT
    return TeamListing(
        me=me,
        form=form,
        everyone=everyone,
        people=people,
        ladders=teamtable.every_ladder(),
        sort=sort,
        badges=teamtable.READINESS_FILTERS.get(filters.get("readiness")),
        filtered=any(filters.get(name) for name in ("level", "track", "q", "readiness")),
        ignored=[form.fields[name].label or name.title() for name in ignored],
    )


def _team_headers(request, sort, *, everyone):
    """{column key: header} for the table's column headers: a link sorting by the column
    (the other way round when it is the sort already), and `aria_sort` on the sorted one.
    Filters stay; the page goes back to the first."""
    column, descending = teamtable.parse_sort(sort)
    headers = {}
    for each in teamtable.COLUMNS:
        if each.everyone_only and not everyone:
            continue
        if each is column:
            reverse_it = not descending
            aria_sort = "descending" if descending else "ascending"
        else:
            reverse_it = each.first == "descending"
            aria_sort = None
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = f"-{each.key}" if reverse_it else each.key
        headers[each.key] = {
            "label": each.label,
            "url": f"?{query.urlencode()}",
            "aria_sort": aria_sort,
        }
    return headers


def packet(request, pk):
    """A printable promotion packet for a target level (`?level=<key>`, by default the
    next level on the person's track): for their managers and HR."""
    employee = access.get_employee(request.user, pk, access.MANAGE)
    structure = ladder_structure(employee.ladder)
    levels = {level.key: level for level in structure.active_levels}
    key = request.GET.get("level")
    if key is None:
        following = structure.next_levels()
        target = following.get((employee.track_id, employee.level_id), employee.level)
    elif key in levels:
        target = levels[key]
    else:
        raise Http404("No such level on this ladder.")
    (result,) = readiness.readiness_for(
        employee=employee,
        targets=[(target, structure.expectations([target])[target.pk])],
        criteria=structure.criteria,
    )
    by_expectation = evidence_services.evidence_by_expectation(request.user, employee)
    for item in result.items:
        item.evidence = [
            e for e in by_expectation.get(item.expectation.pk, []) if e.status == "confirmed"
        ]
    tagged = {}
    for items in by_expectation.values():
        for item in items:
            if item.status != "confirmed" or item.level_id != target.pk:
                continue
            for criterion in item.criteria.all():
                tagged.setdefault(criterion.pk, []).append(item)
    for support in result.criteria:
        support.evidence = tagged.get(support.criterion.pk, [])
    review = (  # the latest the viewer may read: shared, or a draft of their own
        access.restrict(
            Review.objects.filter(employee=employee, target_level=target),
            request.user,
            person=employee,
        )
        .exclude(summary="")
        .order_by("-created_at")
        .first()
    )
    return render(
        request,
        "assessments/packet.html",
        {
            "employee": employee,
            "target": target,
            "readiness": result,
            "review": review,
            "blockers": structure.blockers,
            "has_private": any(
                e.visibility == "private" for item in result.items for e in item.evidence
            ),
            "levels": levels.values(),
            "since": employee.level_since,
        },
    )

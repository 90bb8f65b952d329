"""Pages for recording, editing and confirming evidence. Everything is reached through
`access`, so what a user may not see is a 404 and what they may not do a 403, logged."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from levels.models import Expectation

from . import access
from . import evidence as evidence_services
from .forms import EvidenceForm, apply_errors
from .models import Evidence


def _expectation(pk):
    return Expectation.objects.select_related("level", "category").get(pk=pk)


def evidence_new(request, pk):
    """A manager records evidence about someone below them; a person logs their own win."""
    employee = access.get_employee(request.user, pk)
    own_win = access.can(request.user, access.LOG_WIN, employee)
    if not own_win:
        access.require(request.user, access.MANAGE, employee)
    every_level = "all" in request.GET
    choices = evidence_services.expectation_choices(employee, every_level=every_level)
    initial = {"expectation": request.GET.get("expectation")}
    form = EvidenceForm(
        request.POST or None, employee=employee, own_win=own_win, choices=choices, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "employee": employee,
            "expectation": _expectation(data["expectation"]),
            "by": request.user,
            "observed_on": data["observed_on"],
            "description": data["description"],
            "link": data["link"],
            "criteria": list(data["criteria"]),
        }
        try:
            if own_win:
                evidence_services.log_win(**fields)
            else:
                evidence_services.record_evidence(
                    **fields, visibility=data["visibility"], kind=data["kind"]
                )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if own_win:
                messages.success(request, "Win logged. Your manager will confirm it.")
                return redirect("assessments:me")
            if data["kind"] == Evidence.Kind.GROWTH:
                messages.success(request, f"Growth note recorded for {employee}.")
            else:
                messages.success(request, f"Evidence recorded for {employee}.")
            return redirect(employee)
    return render(
        request,
        "assessments/evidence_form.html",
        {
            "employee": employee,
            "form": form,
            "own_win": own_win,
            "editing": None,
            "every_level": every_level,
        },
        status=400 if form.errors else 200,
    )


def evidence_edit(request, pk):
    """The author changes what they wrote. Like a new item, it offers the current and next
    levels (and the level it is recorded against) unless every level is asked for: a whole
    ladder can be thousands of expectations."""
    item = access.get_evidence(request.user, pk, access.CHANGE)
    employee = item.employee
    every_level = "all" in request.GET
    own_win = item.source == item.Source.SELF
    initial = {
        "expectation": item.expectation_id,
        "observed_on": item.observed_on,
        "description": item.description,
        "link": item.link,
        "visibility": item.visibility,
        "kind": item.kind,
        "criteria": list(item.criteria.all()),
        "version": item.version,
    }
    form = EvidenceForm(
        request.POST or None,
        employee=employee,
        own_win=own_win,
        choices=evidence_services.expectation_choices(
            employee, every_level=every_level, also_level=item.level_id
        ),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evidence_services.edit_evidence(
                evidence=item,
                by=request.user,
                version=data["version"],
                expectation=_expectation(data["expectation"]),
                observed_on=data["observed_on"],
                description=data["description"],
                link=data["link"],
                visibility=data.get("visibility"),
                kind=data.get("kind"),
                criteria=list(data["criteria"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Evidence updated.")
            return redirect("assessments:me" if own_win else employee.get_absolute_url())
    return render(
        request,
        "assessments/evidence_form.html",
        {
            "employee": employee,
            "form": form,
            "own_win": own_win,
            "editing": item,
            "every_level": every_level,
        },
        status=400 if form.errors else 200,
    )


def evidence_delete(request, pk):
    item = access.get_evidence(request.user, pk, access.CHANGE)
    if request.method == "POST":
        evidence_services.delete_evidence(evidence=item, by=request.user)
        messages.success(request, "Evidence deleted. It stays in the history.")
        own = access.is_self(request.user, item.employee)
        return redirect("assessments:me" if own else item.employee.get_absolute_url())
    return render(request, "assessments/evidence_delete.html", {"item": item})


def evidence_decide(request, pk, decision):
    """Confirm or decline a win that someone logged themselves (POST)."""
    item = access.get_evidence(request.user, pk, access.DECIDE)  # 404/403 before anything
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reason = request.POST.get("reason", "")
    try:
        if decision == "confirm":
            evidence_services.confirm_win(evidence=item, by=request.user)
            messages.success(request, f"Confirmed {item.employee}'s win.")
        else:
            evidence_services.decline_win(evidence=item, by=request.user, reason=reason)
            messages.success(request, f"Declined {item.employee}'s win; they can see why.")
    except ValidationError as error:
        if "reason" in getattr(error, "error_dict", {}):
            # The reason needs fixing: show it again, as typed, with the problem beside it.
            return render(
                request,
                "assessments/evidence_decline.html",
                {
                    "item": item,
                    "reason": reason,
                    "error": " ".join(error.message_dict["reason"]),
                    "next": request.POST.get("next", ""),
                    "max_reason": evidence_services.MAX_DECLINE_REASON,
                },
                status=400,
            )
        messages.error(request, " ".join(error.messages))
    next_url = request.POST.get("next", "")
    if next_url == "team":
        return redirect("assessments:team")
    return redirect(item.employee)

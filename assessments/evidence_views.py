"""Pages for recording, editing and confirming evidence. Everything is reached through
the person it is about (`selectors.get_employee_for`), so what a user may not see is 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from levels.models import Expectation

from . import evidence as evidence_services
from . import selectors
from .forms import EvidenceForm


def _apply_errors(form, error):
    """Show a service's refusal on the form, by field where it names one."""
    if not hasattr(error, "error_dict"):
        for problem in error.messages:
            form.add_error(None, problem)
        return
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


def _expectation(pk):
    return Expectation.objects.select_related("level", "category").get(pk=pk)


def evidence_new(request, pk):
    """A manager records evidence about someone below them; a person logs their own win."""
    employee = selectors.get_employee_for(request.user, pk)
    own_win = employee.user_id == request.user.pk
    if not own_win and not selectors.can_manage(request.user, employee):
        raise PermissionDenied
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
                evidence_services.record_evidence(**fields, visibility=data["visibility"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if own_win:
                messages.success(request, "Win logged. Your manager will confirm it.")
                return redirect("assessments:me")
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
    item = evidence_services.get_evidence_for(request.user, pk)
    if item.author_id != request.user.pk:
        raise PermissionDenied("Only the author can edit this evidence.")
    employee = item.employee
    own_win = item.source == item.Source.SELF
    initial = {
        "expectation": item.expectation_id,
        "observed_on": item.observed_on,
        "description": item.description,
        "link": item.link,
        "visibility": item.visibility,
        "criteria": list(item.criteria.all()),
        "version": item.version,
    }
    form = EvidenceForm(
        request.POST or None,
        employee=employee,
        own_win=own_win,
        choices=evidence_services.expectation_choices(employee, every_level=True),
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
                criteria=list(data["criteria"]),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Evidence updated.")
            return redirect("assessments:me" if own_win else employee.get_absolute_url())
    return render(
        request,
        "assessments/evidence_form.html",
        {"employee": employee, "form": form, "own_win": own_win, "editing": item},
        status=400 if form.errors else 200,
    )


def evidence_delete(request, pk):
    item = evidence_services.get_evidence_for(request.user, pk)
    if item.author_id != request.user.pk:
        raise PermissionDenied("Only the author can delete this evidence.")
    if request.method == "POST":
        evidence_services.delete_evidence(evidence=item, by=request.user)
        messages.success(request, "Evidence deleted. It stays in the history.")
        own = item.employee.user_id == request.user.pk
        return redirect("assessments:me" if own else item.employee.get_absolute_url())
    return render(request, "assessments/evidence_delete.html", {"item": item})


def evidence_decide(request, pk, decision):
    """Confirm or decline a win that someone logged themselves (POST)."""
    item = evidence_services.get_evidence_for(request.user, pk)  # 404 before anything else
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        if decision == "confirm":
            evidence_services.confirm_win(evidence=item, by=request.user)
            messages.success(request, f"Confirmed {item.employee}'s win.")
        else:
            evidence_services.decline_win(
                evidence=item, by=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"Declined {item.employee}'s win; they can see why.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    next_url = request.POST.get("next", "")
    if next_url == "team":
        return redirect("assessments:team")
    return redirect(item.employee)

"""Pages of level reviews. A review is loaded through `access.get_review`, so what a user
may not see, including a draft someone else is writing, is a 404, logged.

A draft keeps what was saved whatever happens: Save and Share both save it first (input
that is refused saves nothing and comes back as typed), and sharing asks its author to
confirm before the person sees anything."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from . import access, reviews
from .forms import apply_errors
from .models import Review
from .review_forms import AcknowledgeForm, ConfirmShareForm, ReviewForm, StartReviewForm


def review_start(request, pk):
    """A manager or HR starts a review of someone against their current or a next level."""
    employee = access.get_employee(request.user, pk, access.MANAGE)
    targets = reviews.review_targets(employee)
    form = StartReviewForm(request.POST or None, targets=targets)
    existing = None
    if request.method == "POST" and form.is_valid():
        level = form.cleaned_data["target_level"]
        try:
            review = reviews.start_review(employee=employee, target_level=level, by=request.user)
        except ValidationError as error:
            for problem in error.error_dict.get("target_level", []):
                if problem.code == "draft_exists":
                    existing = reverse(
                        "assessments:review", kwargs={"pk": problem.params["review"]}
                    )
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Review of {employee} against {level.name} started. Rate each expectation, "
                "then share it with them; until then only you can see it.",
            )
            return redirect(review)
    drafts = reviews.reviews_for(request.user, employee).filter(status=Review.Status.DRAFT)
    return render(
        request,
        "assessments/reviews/start.html",
        {
            "employee": employee,
            "form": form,
            "targets": targets,
            "drafts": drafts,
            "existing": existing,
        },
        status=400 if form.errors else 200,
    )


def _render(
    request, review, *, form=None, acknowledge_form=None, errors=(), first_missing=None, status=200
):
    """The review page: the rating form for its writers while it is a draft, read-only
    otherwise, with the acknowledgement form for the person once shared."""
    # A form sent back keeps the rows it was built on, with the user's input on them.
    page = reviews.review_page(request.user, review, ratings=form.ratings if form else None)
    editing = review.can_write and review.status == Review.Status.DRAFT
    if editing and form is None:
        form = ReviewForm(review=review, ratings=page.ratings)
    is_person = access.is_self(request.user, review.employee)
    if is_person and review.status == Review.Status.SHARED and acknowledge_form is None:
        acknowledge_form = AcknowledgeForm()
    return render(
        request,
        "assessments/reviews/review.html",
        {
            "review": review,
            "employee": review.employee,
            "page": page,
            "form": form if editing else None,
            "acknowledge_form": acknowledge_form,
            "is_person": is_person,
            "errors": errors,
            "first_missing": first_missing,  # the first field to fill in before sharing
            "missing": reviews.missing_for_sharing(review, page.ratings) if editing else [],
        },
        status=status,
    )


def review(request, pk):
    """Read a review; its writers rate it and save the draft (POST)."""
    action = access.CHANGE if request.method == "POST" else access.VIEW
    item = access.get_review(request.user, pk, action)
    if request.method != "POST":
        return _render(request, item)
    return _save(request, item, then=item)


def review_share(request, pk):
    """Share a draft with the person, in two steps, neither of which loses the draft.

    POST with the ratings saves the draft (committed whatever follows) and leads here by
    GET, which asks to confirm when the draft is complete and otherwise shows it with what
    is still missing. POST with `confirm` and the version confirmed shares it, unless it
    was saved again since. Once shared, this address takes nothing (405, 400)."""
    item = access.get_review(request.user, pk, access.CHANGE)  # 404/403 before anything
    if request.method == "GET" and item.status == Review.Status.DRAFT:
        return _ask_to_share(request, item)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if item.status != Review.Status.DRAFT:
        return _already_shared(request, item)
    if "confirm" in request.POST:
        return _share(request, item)
    return _save(request, item, then=reverse("assessments:review_share", kwargs={"pk": pk}))


def _already_shared(request, item):
    return _render(
        request,
        item,
        errors=[f"This review is already shared with {item.employee}; it cannot change."],
        status=400,
    )


def _save(request, item, *, then):
    """Save the draft as sent and go on to `then`; refused input saves nothing and comes
    back with what was typed (409 when someone saved the review in between)."""
    if item.status != Review.Status.DRAFT:
        return _already_shared(request, item)
    ratings = list(item.ratings.order_by("position", "id"))
    form = ReviewForm(request.POST, review=item, ratings=ratings)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reviews.save_review(
                review=item,
                ratings=form.rated_ratings(),
                readiness=data["readiness"],
                summary=data["summary"],
                version=data["version"],
                by=request.user,
            )
        except ValidationError as error:
            apply_errors(form, error)
            code = getattr(error, "code", None)
            if code == "stale":  # saving again keeps what they typed, over the other save
                form.data = form.data.copy()
                form.data["version"] = Review.objects.values_list("version", flat=True).get(
                    pk=item.pk
                )
            return _render(request, item, form=form, status=409 if code == "stale" else 400)
        messages.success(request, "Draft saved. Only you can see it until you share it.")
        return redirect(then)
    return _render(request, item, form=form, status=400)


def _ask_to_share(request, item, *, status=200):
    """The step before sharing: the question, with what the person will read, when the
    draft is complete; the draft with each field still to fill in marked otherwise."""
    ratings = list(item.ratings.order_by("position", "id"))
    missing = reviews.missing_for_sharing(item, ratings)
    if missing:
        form = ReviewForm.as_saved(review=item, ratings=ratings)
        form.is_valid()
        return _render(
            request,
            item,
            form=form,
            errors=[f"Not shared yet. {reviews.sharing_refusal(item, missing)}"],
            first_missing=_mark_missing(form),
            status=status,
        )
    return render(
        request,
        "assessments/reviews/confirm_share.html",
        {
            "review": item,
            "employee": item.employee,
            "page": reviews.review_page(request.user, item, ratings=ratings),
            "form": ConfirmShareForm(initial={"version": item.version}),
        },
    )


def _share(request, item):
    """Share the draft the author confirmed, as long as it is still the version they saw."""
    form = ConfirmShareForm(request.POST)
    if not form.is_valid():
        return _render(request, item, errors=form.errors["version"], status=400)
    try:
        reviews.share_review(review=item, by=request.user, version=form.cleaned_data["version"])
    except ValidationError as error:
        code = getattr(error, "code", None)
        if code == "incomplete":
            return _ask_to_share(request, item, status=400)  # what is missing, marked
        return _render(request, item, errors=error.messages, status=409 if code == "stale" else 400)
    messages.success(
        request, f"Shared with {item.employee}. They can read it now and acknowledge it."
    )
    return redirect(item)


def _mark_missing(form):
    """Point at each field that still needs filling in before sharing; the first one's
    bound field, for a link to it."""
    missing = [f"rating_{row.pk}" for row in form.ratings]
    missing = [name for name in [*missing, "readiness"] if not form.cleaned_data.get(name)]
    for name in missing:
        form.add_error(
            name,
            "Choose an overall readiness before sharing."
            if name == "readiness"
            else "Rate this expectation before sharing.",
        )
    return form[missing[0]] if missing else None


def review_acknowledge(request, pk):
    """The person acknowledges their shared review, with an optional comment (POST)."""
    item = access.get_review(request.user, pk, access.ACKNOWLEDGE)  # 404/403 first
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            reviews.acknowledge_review(
                review=item, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            if item.status != Review.Status.SHARED:  # already acknowledged: say so, plainly
                return _render(request, item, errors=error.messages, status=400)
            apply_errors(form, error)
        else:
            messages.success(request, "Thank you: your acknowledgement is recorded.")
            return redirect(item)
    return _render(request, item, acknowledge_form=form, status=400)

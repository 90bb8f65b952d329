"""Forms of level reviews. The rules (who, when, what is complete) are checked by
`assessments.reviews`; these forms only read and bound the input."""

from django import forms

from .models import Rating, Review
from .reviews import MAX_ACKNOWLEDGEMENT, MAX_COMMENT, MAX_SUMMARY


class StartReviewForm(forms.Form):
    """The level to review someone against, among their current and next levels."""

    target_level = forms.TypedChoiceField(
        coerce=int,
        label="Review them against",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the level to review them against.",
            "invalid_choice": (
                "Choose their current level or a next level on one of their tracks."
            ),
        },
    )

    def __init__(self, *args, targets, **kwargs):
        self.targets = {target.level.pk: target for target in targets}
        suggested = next((t for t in targets if not t.is_current), None) or next(
            iter(targets), None
        )
        if suggested is not None:
            kwargs.setdefault("initial", {"target_level": suggested.level.pk})
        super().__init__(*args, **kwargs)
        self.fields["target_level"].choices = [
            (target.level.pk, _target_label(target)) for target in targets
        ]

    def clean_target_level(self):
        return self.targets[self.cleaned_data["target_level"]].level


def _target_label(target):
    level = target.level
    name = f"{level.name} ({level.code})" if level.code else level.name
    if target.is_current:
        where = "their current level"
    else:
        tracks = " and ".join(track.name for track in target.tracks)
        where = f"next on the {tracks} track{'s' if len(target.tracks) > 1 else ''}"
    count = target.expectation_count
    return f"{name}: {where}, {count} expectation{'s' if count != 1 else ''} to rate"


VERSION_MISSING = (
    "This page is incomplete or out of date: reload it, then enter your changes again."
)


def _saved_values(review, ratings):
    """The review's fields as saved, by form field name."""
    values = {"readiness": review.readiness, "summary": review.summary, "version": review.version}
    for row in ratings:
        values[f"rating_{row.pk}"] = row.rating
        values[f"comment_{row.pk}"] = row.comment
    return values


class ReviewForm(forms.Form):
    """A draft review: a rating and a comment for each expectation, then the overall
    readiness and summary. `version` is the review's version when the page was opened."""

    readiness = forms.ChoiceField(
        label="Overall readiness",
        choices=[("", "Not decided yet"), *Review.Readiness.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a readiness from the list."},
        help_text="For the level this review is against.",
    )
    summary = forms.CharField(
        label="Summary",
        required=False,
        max_length=MAX_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Strengths, what to work on next, and how. The person reads this first.",
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": VERSION_MISSING,
            "invalid": VERSION_MISSING,
        },
    )

    def __init__(self, *args, review, ratings, **kwargs):
        self.review = review
        kwargs.setdefault("initial", _saved_values(review, ratings))
        super().__init__(*args, **kwargs)
        self.ratings = ratings
        for row in ratings:
            about = f" for “{_short(row.expectation_text)}”"
            self.fields[f"rating_{row.pk}"] = forms.ChoiceField(
                label=f"Rating{about}",
                choices=[("", "Not rated yet"), *Rating.choices],
                required=False,
                error_messages={"invalid_choice": "Choose a rating from the scale."},
            )
            self.fields[f"comment_{row.pk}"] = forms.CharField(
                label=f"Comment{about}",
                required=False,
                max_length=MAX_COMMENT,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
            self.fields[f"rating_{row.pk}"].widget.attrs["class"] = "form-select"
        for row in ratings:  # the page lays the rows out; each carries its own fields
            row.rating_field = self[f"rating_{row.pk}"]
            row.comment_field = self[f"comment_{row.pk}"]

    @classmethod
    def as_saved(cls, *, review, ratings):
        """The form filled in with the draft as it is saved, as if just sent: the page
        after a save can then point at what is still missing. `ratings` are its rows."""
        return cls(_saved_values(review, ratings), review=review, ratings=ratings)

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields and name.startswith(("rating_", "comment_")):
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] += " is-invalid"

    def rated_ratings(self):
        """{rating id: (rating, comment)} from the cleaned data, for `save_review`."""
        return {
            row.pk: (self.cleaned_data[f"rating_{row.pk}"], self.cleaned_data[f"comment_{row.pk}"])
            for row in self.ratings
        }


def _short(text, limit=80):
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ConfirmShareForm(forms.Form):
    """The confirmation that shares a draft. `version` is the version the author was asked
    about, so a draft saved again since (in another tab) is not shared unseen."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": VERSION_MISSING, "invalid": VERSION_MISSING},
    )


class AcknowledgeForm(forms.Form):
    """The person's acknowledgement of a shared review."""

    comment = forms.CharField(
        label="Your comment (optional)",
        required=False,
        max_length=MAX_ACKNOWLEDGEMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything you want your manager and HR to know. They see it with the review.",
    )

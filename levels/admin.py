"""
The admin for ladder data. Besides editing, HR can duplicate a ladder, export it as a
ladder file, and import a ladder file after a preview of what it would change; these
call `levels.services` and `levels.importplan`, as the commands do. A confirmed import
checks its preview and writes under the import lock, so of two people confirming the
same new ladder at once, one creates it and the other sees the preview again.
"""

import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core import signing
from django.core.exceptions import (
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import _get_foreign_key
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from jobs import runner
from jobs.models import Job

from . import changes, history, importplan, ladderfile, rules, selectors, services, structure
from .concurrency import (
    GONE_MESSAGE,
    ConcurrencyAdminMixin,
    ConcurrencyInlineMixin,
    ConcurrencyModelForm,
    edit_token,
    locked_unchanged,
)
from .models import (
    Aspect,
    AspectValue,
    Category,
    Expectation,
    FAQEntry,
    Ladder,
    Level,
    PromotionBlocker,
    PromotionCriterion,
    Track,
    TrackLevel,
)
from .rendering import (
    DrawnAdminForm,
    DrawnRowsFormSet,
    SharedChoicesField,
    draw_plainly,
    plain_widgets,
)

# How long a previewed import can wait for its confirmation.
IMPORT_PREVIEW_MAX_AGE = 60 * 60
EXPORT_FORMATS = {
    "yaml": ("application/x-yaml; charset=utf-8", "yaml"),
    "json": ("application/json; charset=utf-8", "json"),
}


class LadderDataForm(ConcurrencyModelForm):
    """A ladder object's change form, with a box for why it changes."""

    default_renderer = plain_widgets
    why = history.reason_field()

    @cached_property
    def changed_data(self):
        # The reason says why the object changes; on its own it is no change.
        return [name for name in super().changed_data if name != "why"]


class RevertForm(forms.Form):
    """All a revert sends: why, and the fingerprint of the object the page was shown with.
    The values restored are the version's own, never anything posted."""

    why = history.reason_field("Why go back to this version? (optional)")
    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)


class LadderDataAdmin(ConcurrencyAdminMixin, SimpleHistoryAdmin):
    """An admin for ladder data: stale edits are refused, each change can say why, and the
    history page lists every change to the object and its parts, each with who made it,
    when, why and what changed; a version of the object itself opens read-only, with its
    difference from today, and can be restored as it was."""

    form = LadderDataForm
    object_history_template = "admin/levels/object_history.html"
    object_history_form_template = "admin/levels/object_history_form.html"
    history_per_page = 25

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return draw_plainly(super().formfield_for_dbfield(db_field, request, **kwargs))

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            # Django's wrapper, able to draw its rows without a template each (TabularRows,
            # StackedRows).
            inline_formset.__class__ = DrawnRowsFormSet
        return inline_formsets

    def get_fieldsets(self, request, obj=None):
        # The reason box sits below the lists on the page (admin/levels/change_form.html).
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = [field for field in options.get("fields", ()) if field != "why"]
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Django's wrapper, whose field sets draw themselves (admin/levels/change_form.html).
        context["adminform"].__class__ = DrawnAdminForm
        form = context["adminform"].form
        if "why" in form.fields and (add or self.has_change_permission(request, obj)):
            context["reason_field"] = form["why"]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        # Saving an unchanged object would add an empty version to its history.
        if not change or form.writes():
            with history.reason(form.cleaned_data.get("why")):
                super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # The rows of the lists saved with the object carry the same reason.
        with history.reason(form.cleaned_data.get("why")):
            super().save_formset(request, form, formset, change)

    # A version ---------------------------------------------------------------------

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """An earlier version, read-only, with its difference from today; a POST makes it
        current again, exactly as stored, if the object is as the page showed it."""
        request.current_app = self.admin_site.name
        try:
            pk, history_id = int(unquote(object_id)), int(version_id)
        except ValueError:
            raise Http404("No such version.") from None
        version = (
            self.model.history.filter(id=pk, history_id=history_id)
            .select_related("history_user")
            .first()
        )
        if version is None:
            raise Http404("No such version.")
        current = self.get_object(request, str(pk))
        if not self.has_view_history_or_change_history_permission(
            request, current or version.instance
        ):
            raise PermissionDenied
        if request.method != "POST":
            form = RevertForm(initial={"edit_token": current and edit_token(current)})
            return self._version_page(request, version, current, form, extra_context)
        if current is None:
            # The object was deleted: its versions can be read, not restored from here.
            self.message_user(
                request,
                f"This {self.opts.verbose_name} was deleted, so it cannot be restored "
                "from its history. Add it again, or import a ladder file that has it.",
                messages.ERROR,
            )
            return redirect(self._admin_url("changelist"))
        if self.revert_disabled(request, current):
            # Viewing an earlier version needs view permission; restoring it is a change.
            raise PermissionDenied
        form = RevertForm(request.POST)
        if form.is_valid():
            why = form.cleaned_data["why"]
            try:
                with transaction.atomic():
                    locked_unchanged(self.model, pk, form.cleaned_data["edit_token"])
                    kept = history.kept_on_revert(self.model)
                    if not changes.field_changes(self.model, current, version, skip=kept):
                        self.message_user(
                            request, "That version is the same as today's: nothing to revert."
                        )
                        return redirect(self._admin_url("change", quote(pk)))
                    obj = history.restore(version, by=request.user, why=why)
                    self.log_change(request, obj, history.revert_reason(version, why))
            except ValidationError as error:
                current = self.get_object(request, str(pk))
                if current is None:
                    self.message_user(request, GONE_MESSAGE, messages.ERROR)
                    return redirect(self._admin_url("changelist"))
                # Shown again against the object as it is now: reverting again applies.
                form = RevertForm({**request.POST.dict(), "edit_token": edit_token(current)})
                form.is_valid()
                for problem in _problems(self.model, error):
                    form.add_error(None, problem)
            else:
                self.message_user(
                    request,
                    f"Reverted “{obj}” to its version of {_when(version.history_date)}. "
                    "The revert is in its history.",
                    messages.SUCCESS,
                )
                return redirect(self._admin_url("change", quote(pk)))
        return self._version_page(request, version, current, form, extra_context)

    def _version_page(self, request, version, current, form, extra_context):
        differences = []
        if current is not None:
            differences = changes.field_changes(
                self.model, current, version, skip=history.kept_on_revert(self.model)
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Version of {_when(version.history_date)}: {version.instance}",
            "subtitle": None,
            "opts": self.opts,
            "original_opts": self.opts,
            "app_label": self.opts.app_label,
            "original": current or version.instance,
            "version": version,
            "version_by": history.made_by(version.history_user),
            "fields": _version_fields(self.model, version, differences),
            "parts": self._version_parts(request, version),
            "differences": differences,
            "deleted": current is None,
            "revert_disabled": current is None or self.revert_disabled(request, current),
            "form": form,
            "changelist_url": self._admin_url("changelist"),
            "change_url": self._admin_url("change", quote(version.id)),
            "history_url": self._admin_url("history", quote(version.id)),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_form_template, context)

    def _version_parts(self, request, version):
        """The lists edited on the object's page (its inlines), as they stood while the
        version was current: until the next change to the object itself, or today."""
        following = (
            self.model.history.filter(id=version.id, history_id__gt=version.history_id)
            .order_by("history_id")
            .values_list("history_date", flat=True)
            .first()
        )
        parts = []
        for inline in self.get_inline_instances(request):
            model = inline.model
            fk = _get_foreign_key(self.model, model, fk_name=inline.fk_name)
            names = [name for name in (inline.fields or _shown_names(model)) if name != fk.name]
            shown = [model._meta.get_field(name) for name in names]
            rows = model.history.filter(**{fk.attname: version.id})
            latest = model.history.filter(id=OuterRef("id"))
            if following is not None:
                rows = rows.filter(history_date__lt=following)
                latest = latest.filter(history_date__lt=following)
            latest = latest.order_by("-history_date", "-history_id").values("history_id")[:1]
            rows = rows.filter(history_id=Subquery(latest)).exclude(history_type="-")
            related = [field.name for field in shown if field.is_relation]
            if related:
                rows = rows.select_related(*related)
            rows = rows.order_by(*model._meta.ordering)
            parts.append(
                {
                    "title": capfirst(inline.verbose_name_plural),
                    "labels": [capfirst(field.verbose_name) for field in shown],
                    "rows": [[_shown(field, row) for field in shown] for row in rows],
                }
            )
        return parts

    def revert_disabled(self, request, obj=None):
        return not self.has_change_permission(request, obj) or super().revert_disabled(request, obj)

    def stranding_ladders(self, objs):
        """The ladders where changing `objs` may leave levels on no active track."""
        return []

    def _admin_url(self, name, *args):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for ladder in self.stranding_ladders([form.instance]):
            warn_stranded_levels(self, request, ladder)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        try:
            number = min(int(request.GET.get("page", 1)), changes.MAX_PAGE)
        except ValueError:
            number = 1
        kinds = changes.kinds(obj)
        kind = request.GET.get("kind", "")
        if kind not in dict(kinds):
            kind = ""
        page = changes.change_page(obj, number, per_page=self.history_per_page, kind=kind)
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "module_name": capfirst(self.opts.verbose_name_plural),
            "object": obj,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "page": page,
            "kinds": kinds if len(kinds) > 1 else [],
            "kind": kind,
            "revert_disabled": self.revert_disabled(request, obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)


def _when(moment):
    return history.when(moment)


# Fields a version page leaves out: the row's own number.
_UNSHOWN = {"id"}


def _shown_names(model):
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.editable and field.name not in _UNSHOWN
    ]


def _shown(field, row):
    """A field's value in `row` (a row or a version) as a reader sees it."""
    if field.is_relation:
        try:
            related = getattr(row, field.name)
        except ObjectDoesNotExist:
            related = None
        if related is None:
            return "(deleted)" if getattr(row, field.attname) is not None else "(empty)"
        return str(related)
    value = getattr(row, field.attname)
    if field.choices and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(empty)"
    return str(value)


def _version_fields(model, version, differences):
    """Every field of `version` as (label, value, whether it differs from today)."""
    changed = {change.label for change in differences}
    fields = [model._meta.get_field(name) for name in _shown_names(model)]
    return [
        {
            "label": capfirst(field.verbose_name),
            "value": _shown(field, version),
            "changed": str(field.verbose_name) in changed,
        }
        for field in fields
    ]


def _problems(model, error):
    """A refused restore's messages, each named by its field."""
    if not hasattr(error, "error_dict"):
        return error.messages
    problems = []
    for name, messages_ in error.message_dict.items():
        try:
            label = capfirst(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = None
        problems.extend(f"{label}: {text}" if label else text for text in messages_)
    return problems


class LadderRowForm(ConcurrencyModelForm):
    """A row of a list on a ladder object's page."""

    default_renderer = plain_widgets


class LadderRows(ConcurrencyInlineMixin):
    """Use in an inline of ladder data: each row carries its token against stale saves,
    and its boxes are drawn without a template each (pages list hundreds)."""

    form = LadderRowForm

    def get_formset(self, request, obj=None, **kwargs):
        # The list's management form and its errors drawn without a template too.
        formset = super().get_formset(request, obj, renderer=plain_widgets, **kwargs)

        class Formset(formset):
            # Made once rather than each time the page asks for it (three times).
            empty_form = cached_property(formset.empty_form.fget)

        return Formset

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return draw_plainly(super().formfield_for_dbfield(db_field, request, **kwargs))


class TabularRows(admin.TabularInline):
    """A tabular inline whose rows are drawn without the template engine (the change page
    of its parent must be a `LadderDataAdmin`'s)."""

    template = "admin/levels/edit_inline/tabular.html"


class StackedRows(admin.StackedInline):
    """A stacked inline whose forms are drawn without the template engine (the change page
    of its parent must be a `LadderDataAdmin`'s)."""

    template = "admin/levels/edit_inline/stacked.html"


class LabelledInputs:
    """Inline rows put their labels in column headings, which screen readers do not tie
    to the boxes below: each box gets its own accessible name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            field.widget.attrs.setdefault("aria-label", capfirst(str(field.label)))
        return field

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Formset(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs["aria-label"] = "Delete"

        return Formset


class SameLadderChoices:
    """Foreign-key pickers of an inline offer only rows of the parent's own ladder, read
    once per page rather than once per row."""

    # Foreign key name -> model of the rows to offer.
    same_ladder = {}

    def get_formset(self, request, obj=None, **kwargs):
        # The page's object is loaded already: its ladder costs no query (none on an add
        # page, where every ladder's rows are offered).
        self.parent_ladder_id = getattr(obj, "ladder_id", None)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = self.same_ladder.get(db_field.name)
        if db_field.name == self.parent_link:
            model = None  # the row's link to the page's object, a hidden box: no choices
        ladder_id = getattr(self, "parent_ladder_id", None)
        if model is not None and ladder_id is not None:
            kwargs["queryset"] = model.objects.filter(ladder_id=ladder_id)
        if model is not None:
            kwargs.setdefault("form_class", SharedChoicesField)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if isinstance(field, SharedChoicesField):
            field.share_choices()  # one query for every row's picker
        return field

    @cached_property
    def parent_link(self):
        """The name of the rows' foreign key to the page's object."""
        return _get_foreign_key(self.parent_model, self.model, fk_name=self.fk_name).name


class RetireInsteadOfDeleting:
    """For inline rows that can be retired: a delete refused because records point at the
    row says how to retire it instead."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Set on the form class made for this formset, not on a subclass of it: a model
        # form's subclass builds its fields (and reads their choices) again.
        refuse = formset.form.hand_clean_DELETE

        def hand_clean_DELETE(form):
            try:
                refuse(form)
            except ValidationError as error:
                raise ValidationError(
                    [
                        *error.messages,
                        "It is in use, so untick Active instead to retire it: it leaves "
                        "the ladder pages and pickers, and the records keep it.",
                    ]
                ) from None

        formset.form.hand_clean_DELETE = hand_clean_DELETE
        return formset


class CategoryInline(LabelledInputs, RetireInsteadOfDeleting, LadderRows, TabularRows):
    model = Category
    extra = 0
    fields = ["name", "key", "group", "description", "position", "is_active"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "description":
            field.widget.attrs.update(rows=2, cols=40)
        return field


class LevelInline(LabelledInputs, LadderRows, TabularRows):
    """The ladder's levels in seniority order, to rename, reorder or retire them; each
    opens on its own page for its expectations."""

    model = Level
    extra = 0
    fields = ["name", "short_name", "code", "grade", "position", "is_active"]
    show_change_link = True
    can_delete = False
    verbose_name_plural = "levels (open one to edit its expectations; add one from Levels)"

    def has_add_permission(self, request, obj=None):
        return False


class TrackInline(LabelledInputs, RetireInsteadOfDeleting, LadderRows, TabularRows):
    model = Track
    extra = 0
    fields = ["name", "key", "position", "is_active"]
    show_change_link = True
    verbose_name_plural = "tracks (open one to order its levels)"


class PromotionCriterionInline(LabelledInputs, LadderRows, TabularRows):
    model = PromotionCriterion
    extra = 0


class PromotionBlockerInline(LabelledInputs, LadderRows, TabularRows):
    model = PromotionBlocker
    extra = 0


class FAQEntryInline(LabelledInputs, LadderRows, StackedRows):
    model = FAQEntry
    extra = 0


class DuplicateLadderForm(forms.Form):
    """The slug and name of a ladder's copy."""

    required_css_class = "required"

    slug = forms.CharField(
        max_length=ladderfile.MAX_KEY,
        help_text="Lowercase letters, digits, '-' and '_'; used in addresses and files.",
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    name = forms.CharField(
        max_length=ladderfile.MAX_NAME, widget=forms.TextInput(attrs={"class": "vTextField"})
    )


class LadderFileForm(forms.Form):
    """The upload of a ladder file."""

    required_css_class = "required"

    file = forms.FileField(
        label="Ladder file",
        help_text="A .yaml, .yml or .json file in the ladder/v2 (or v1) format, saved as UTF-8.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.LADDER_FILE_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; ladder files may be at most {limit:,} bytes."
            )
        return upload


DRAFT_MESSAGE = (
    "The ladder is a draft: only HR sees it, and nobody can be placed on it until you "
    "publish it (Publish, at the top of its page)."
)


class LadderStatusForm(forms.Form):
    """Publishing or retiring a ladder: why, for its history."""

    why = history.reason_field("Why? (optional)")


class ReplacementForm(forms.Form):
    """Where the people go whose place the draft drops, one choice per place (a place below
    their level marked as a step down); why; the confirmations the replacement needs (any
    step down, and bringing back the draft's version of what changed on the ladder after
    the draft was made); and the preview this confirms."""

    preview = forms.CharField(widget=forms.HiddenInput)
    why = history.reason_field("Why? (optional)")
    undo_later_changes = forms.BooleanField(
        label="Yes, replace it anyway: bring back the draft's version of the changes listed above",
        required=False,
    )
    allow_step_down = forms.BooleanField(
        label="Yes, move these people to a lower level",
        required=False,
        help_text="Needed when a place you chose is below someone's level now.",
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["why"].help_text = (
            "Kept in the ladder's history, and in the level history of everyone moved, "
            "whose email says it too."
        )
        self.places = []
        for placement in plan.moves:
            count = len(placement.people)
            choices = [("", "Choose a level of the draft")]
            for value, label in plan.targets:
                lower = plan.is_step_down(placement, value)
                choices.append((value, f"{label} (a step down)" if lower else label))
            self.fields[placement.field_name] = forms.ChoiceField(
                label=f"Move the {count} {'person' if count == 1 else 'people'} on "
                f"{placement.level_name} ({placement.track_name}) to",
                choices=choices,
                error_messages={"required": "Choose where they go."},
            )
            self.places.append(placement)
        if not plan.outdated:
            del self.fields["undo_later_changes"]
        if not any(plan.is_step_down(p, value) for p in plan.moves for value, _ in plan.targets):
            del self.fields["allow_step_down"]

    @property
    def moves(self):
        """(placement, its field, whether the place chosen is a step down) for each place
        whose people move."""
        return [
            (p, self[p.field_name], self.plan.is_step_down(p, self[p.field_name].value()))
            for p in self.places
        ]

    def confirm_fields(self):
        """The why box and the tick boxes this replacement needs."""
        names = ("why", "undo_later_changes", "allow_step_down")
        return [self[name] for name in names if name in self.fields]

    def clean(self):
        cleaned = super().clean()
        if self.plan.outdated and not cleaned.get("undo_later_changes"):
            self.add_error(
                "undo_later_changes",
                f"{self.plan.ladder.name} changed after the draft was made: tick this to "
                "replace it anyway, or make those changes on the draft too first.",
            )
        lower = [p for p in self.places if self.plan.is_step_down(p, cleaned.get(p.field_name))]
        if lower and not cleaned.get("allow_step_down"):
            self.add_error(
                "allow_step_down",
                "Tick this to move "
                + ", ".join(f"the people on {p.level_name} ({p.track_name})" for p in lower)
                + " to a lower level, or choose another place for them.",
            )
        return cleaned

    def step_downs(self):
        """The places whose people the chosen mapping moves to a lower level."""
        return [p for p, _, lower in self.moves if lower]

    def mapping(self):
        """{place key on the published ladder: place key on the draft}."""
        return {p.key: self.cleaned_data[p.field_name] for p in self.places}


@admin.register(Ladder)
class LadderAdmin(LadderDataAdmin):
    """Ladders, with their status: a new ladder (added here, imported from a file here, or
    a duplicate) is a draft that only HR sees until it is published. The status changes
    only through Publish, Retire and Replace, each behind a page that says what it does and
    records why in the ladder's history."""

    save_on_top = True  # the page is long: save without scrolling to the end
    list_display = ["name", "slug", "status", "level_count", "track_count"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status", "draft_of"]
    actions = [
        "duplicate_selected",
        "publish_selected",
        "retire_selected",
        "export_yaml",
        "export_json",
    ]
    inlines = [
        CategoryInline,
        LevelInline,
        TrackInline,
        PromotionCriterionInline,
        PromotionBlockerInline,
        FAQEntryInline,
    ]

    def stranding_ladders(self, ladders):
        # Its tracks are edited on its page.
        return list(ladders)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                level_count=_count_per_ladder(Level.objects.active()),
                track_count=_count_per_ladder(Track.objects.all()),
            )
        )

    @admin.display(description="active levels", ordering="level_count")
    def level_count(self, ladder):
        return ladder.level_count

    @admin.display(description="tracks", ordering="track_count")
    def track_count(self, ladder):
        return ladder.track_count

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=f"{name}_import"),
            path("import/confirm/", view(self.import_confirm_view), name=f"{name}_import_confirm"),
            path(
                "<path:object_id>/duplicate/", view(self.duplicate_view), name=f"{name}_duplicate"
            ),
            path("<path:object_id>/export/", view(self.export_view), name=f"{name}_export"),
            path("<path:object_id>/publish/", view(self.publish_view), name=f"{name}_publish"),
            path("<path:object_id>/retire/", view(self.retire_view), name=f"{name}_retire"),
            path("<path:object_id>/replace/", view(self.replace_view), name=f"{name}_replace"),
            *super().get_urls(),
        ]

    def _context(self, request, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "has_view_permission": self.has_view_permission(request),
            **context,
        }

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, DRAFT_MESSAGE, messages.INFO)
        return super().response_add(request, obj, post_url_continue)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # A draft that replaced its ladder is kept as a record: it offers no Publish.
        context["has_replaced"] = obj is not None and services.has_replaced(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Actions on the list ---------------------------------------------------------------

    @admin.action(description="Publish selected ladder", permissions=["change"])
    def publish_selected(self, request, queryset):
        ladder = self._one(request, queryset, "publish")
        return None if ladder is None else redirect(self._admin_url("publish", quote(ladder.pk)))

    @admin.action(description="Retire selected ladder", permissions=["change"])
    def retire_selected(self, request, queryset):
        ladder = self._one(request, queryset, "retire")
        return None if ladder is None else redirect(self._admin_url("retire", quote(ladder.pk)))

    @admin.action(description="Duplicate selected ladder", permissions=["add"])
    def duplicate_selected(self, request, queryset):
        ladder = self._one(request, queryset, "duplicate")
        if ladder is not None:
            return redirect(self._admin_url("duplicate", quote(ladder.pk)))
        return None

    @admin.action(description="Export selected ladder as YAML", permissions=["view"])
    def export_yaml(self, request, queryset):
        ladder = self._one(request, queryset, "export")
        return None if ladder is None else self._export(ladder, "yaml")

    @admin.action(description="Export selected ladder as JSON", permissions=["view"])
    def export_json(self, request, queryset):
        ladder = self._one(request, queryset, "export")
        return None if ladder is None else self._export(ladder, "json")

    def _one(self, request, queryset, verb):
        ladders = list(queryset[:2])
        if len(ladders) != 1:
            self.message_user(
                request, f"Select just one ladder to {verb} at a time.", messages.WARNING
            )
            return None
        return ladders[0]

    # Duplicate ------------------------------------------------------------------------

    def duplicate_view(self, request, object_id):
        """Ask for the copy's slug and name, then copy the ladder whole."""
        ladder = self.get_object(request, unquote(object_id))
        if ladder is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not (self.has_add_permission(request) and self.has_view_permission(request, ladder)):
            raise PermissionDenied
        initial = {
            "slug": f"{ladder.slug}-copy"[: ladderfile.MAX_KEY],
            "name": f"{ladder.name} (copy)",
        }
        form = DuplicateLadderForm(
            request.POST if request.method == "POST" else None, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            try:
                copy = services.duplicate_ladder(
                    ladder=ladder, slug=form.cleaned_data["slug"], name=form.cleaned_data["name"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.log_addition(request, copy, f"Duplicated from {ladder.slug}.")
                revises = (
                    f" Edit it, then publish it or replace {copy.draft_of.name} with it."
                    if copy.draft_of
                    else " Edit it, then publish it."
                )
                self.message_user(
                    request,
                    f"Duplicated {ladder.name} as {copy.name} ({copy.slug}). The copy is an "
                    "independent draft that only HR sees." + revises,
                    messages.SUCCESS,
                )
                return redirect(self._admin_url("change", quote(copy.pk)))
        context = self._context(
            request,
            title=f"Duplicate {ladder.name}",
            original=ladder,
            form=form,
            counts=_ladder_counts(ladder),
        )
        return TemplateResponse(
            request,
            "admin/levels/ladder/duplicate.html",
            context,
            status=400 if form.errors else 200,
        )

    # Export ---------------------------------------------------------------------------

    def export_view(self, request, object_id):
        """Download the ladder as a ladder file: YAML, or JSON with ?format=json."""
        ladder = self.get_object(request, unquote(object_id))
        if ladder is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, ladder):
            raise PermissionDenied
        fmt = request.GET.get("format", "yaml")
        if fmt not in EXPORT_FORMATS:
            return HttpResponse("Unknown format: use yaml or json.", status=400)
        return self._export(ladder, fmt)

    def _export(self, ladder, fmt):
        content_type, suffix = EXPORT_FORMATS[fmt]
        text = structure.kept_for_version(
            ladder, f"file-{fmt}", lambda fresh: ladderfile.dump(selectors.ladder_spec(fresh), fmt)
        )
        response = HttpResponse(text, content_type=content_type)
        response.headers["Content-Disposition"] = content_disposition_header(
            True, f"{ladder.slug}.{suffix}"
        )
        return response

    # Import ---------------------------------------------------------------------------

    def import_view(self, request):
        """Upload a ladder file: every problem listed, or a preview of what it would do."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = LadderFileForm(request.POST, request.FILES)
        else:
            form = LadderFileForm()
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            return self._preview_or_problems(request, upload.name, upload.read())
        return self._upload_page(request, form)

    def import_confirm_view(self, request):
        """Apply a previewed import: the file is read and checked again, and if the ladder
        changed since the preview, the new preview is shown instead."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return redirect(self._admin_url("import"))
        try:
            previewed = signing.loads(
                request.POST.get("preview", ""),
                salt=preview_salt(request.user),
                max_age=IMPORT_PREVIEW_MAX_AGE,
            )
        except signing.BadSignature:
            self.message_user(
                request,
                "That preview has expired or was altered; nothing was changed. "
                "Upload the file again.",
                messages.ERROR,
            )
            return redirect(self._admin_url("import"))
        name, content = previewed["name"], previewed["content"]
        try:
            spec = ladderfile.read(content, name=name)
        except ladderfile.LadderFileError as error:
            return self._upload_page(request, LadderFileForm(), error.problems, name=name)
        plan = importplan.plan_import(spec)
        if plan.fingerprint != previewed["base"] or plan.problems:
            stale = plan.fingerprint != previewed["base"]
            return self._preview_page(request, name, content, plan, stale=stale)
        # Written by a task (`levels.jobs.import_ladder`), which checks the plan again under
        # the import lock; its page shows the outcome.
        job = runner.start(
            Job.Kind.LADDER_IMPORT,
            by=request.user,
            title=f"Import {name}",
            name=name,
            content=content,
            base=plan.fingerprint,
        )
        return redirect(job)

    def _preview_or_problems(self, request, name, content):
        try:
            spec = ladderfile.read(content, name=name)
        except ladderfile.LadderFileError as error:
            return self._upload_page(request, LadderFileForm(), error.problems, name=name)
        # Read without error, so the content is UTF-8 text.
        text = content.decode("utf-8-sig")
        return self._preview_page(request, name, text, importplan.plan_import(spec))

    def _upload_page(self, request, form, problems=(), *, name=""):
        context = self._context(
            request,
            title="Import a ladder file",
            form=form,
            problems=list(problems),
            file_name=name,
            max_bytes=settings.LADDER_FILE_MAX_BYTES,
        )
        status = 400 if problems or form.errors else 200
        return TemplateResponse(request, "admin/levels/ladder/import.html", context, status=status)

    def _preview_page(self, request, name, content, plan, *, stale=False):
        token = signing.dumps(
            {"name": name, "content": content, "base": plan.fingerprint},
            salt=preview_salt(request.user),
            compress=True,
        )
        context = self._context(
            request,
            title=f"Preview the import of {name}",
            plan=plan,
            file_name=name,
            preview=token,
            stale=stale,
            sections=[section for section in plan.sections if section],
        )
        status = 409 if stale else 400 if plan.problems else 200
        return TemplateResponse(
            request, "admin/levels/ladder/import_preview.html", context, status=status
        )

    # Publish and retire ---------------------------------------------------------------

    def publish_view(self, request, object_id):
        """Publish a draft or a retired ladder, after a page that says what it does."""
        return self._status_view(
            request,
            object_id,
            verb="Publish",
            change=services.publish_ladder,
            done="Published {ladder}: everyone signed in sees it now, and people can be "
            "placed on it.",
        )

    def retire_view(self, request, object_id):
        """Retire a ladder nobody is on, after a page that says what it does."""
        return self._status_view(
            request,
            object_id,
            verb="Retire",
            change=services.retire_ladder,
            done="Retired {ladder}: it no longer shows on the ladder pages (HR still sees it "
            "there, marked retired), and every record that mentions it is kept.",
        )

    def _status_view(self, request, object_id, *, verb, change, done):
        ladder = self.get_object(request, unquote(object_id))
        if ladder is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, ladder):
            raise PermissionDenied
        already = Ladder.Status.PUBLISHED if verb == "Publish" else Ladder.Status.RETIRED
        if ladder.status == already:
            self.message_user(
                request, f"{ladder.name} is {ladder.get_status_display().lower()} already."
            )
            return redirect(self._admin_url("change", quote(ladder.pk)))
        if verb == "Publish" and services.has_replaced(ladder):
            self.message_user(request, services.spent_message(ladder), messages.ERROR)
            return redirect(self._admin_url("change", quote(ladder.pk)))
        form = LadderStatusForm(request.POST if request.method == "POST" else None)
        people = services.people_on(ladder)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                change(ladder=ladder, reason=form.cleaned_data["why"])
            except ValidationError as error:
                form.add_error(None, error)
                status = 409
            else:
                self.log_change(request, ladder, f"{verb}ed.")
                self.message_user(request, done.format(ladder=ladder.name), messages.SUCCESS)
                return redirect(self._admin_url("change", quote(ladder.pk)))
        elif form.errors:
            status = 400
        context = self._context(
            request,
            title=f"{verb} {ladder.name}",
            original=ladder,
            form=form,
            verb=verb,
            people=people,
            drafts=list(ladder.drafts.filter(status=Ladder.Status.DRAFT)),
        )
        return TemplateResponse(request, "admin/levels/ladder/status.html", context, status=status)

    # Replace a published ladder by a revised draft ----------------------------------------

    def replace_view(self, request, object_id):
        """Preview replacing the ladder a draft revises by the draft, with the people who
        must move and where to; confirm applies it if nothing changed since the preview."""
        draft = self.get_object(request, unquote(object_id))
        if draft is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, draft):
            raise PermissionDenied
        plan = importplan.plan_replacement(draft)
        if plan.imported is None or not draft.is_draft:
            for problem in plan.problems:
                self.message_user(request, problem, messages.ERROR)
            return redirect(self._admin_url("change", quote(draft.pk)))
        salt = preview_salt(request.user, "ladder-replace")
        if request.method != "POST":
            return self._replacement_page(request, plan)
        try:
            previewed = signing.loads(
                request.POST.get("preview", ""), salt=salt, max_age=IMPORT_PREVIEW_MAX_AGE
            )
        except signing.BadSignature:
            previewed = None
        if previewed is None or previewed.get("draft") != draft.pk:
            return self._replacement_page(
                request,
                plan,
                problems=[
                    "That preview has expired or was altered; nothing was changed. "
                    "Check the preview below and confirm again."
                ],
                status=400,
            )
        if previewed["base"] != plan.fingerprint:
            return self._replacement_page(request, plan, stale=True)
        form = ReplacementForm(request.POST, plan=plan)
        if not form.is_valid():
            return self._replacement_page(request, plan, form=form, status=400)
        try:
            services.replace_ladder(
                draft=draft,
                mapping=form.mapping(),
                by=request.user,
                fingerprint=plan.fingerprint,
                why=form.cleaned_data["why"],
                allow_step_down=form.cleaned_data.get("allow_step_down", False),
                undo_later_changes=form.cleaned_data.get("undo_later_changes", False),
            )
        except services.ReplacementRefused as refused:
            return self._replacement_page(
                request,
                refused.plan,
                problems=[] if refused.stale else refused.problems,
                stale=refused.stale,
                status=409 if refused.stale else 400,
            )
        ladder, moved = plan.ladder, plan.people_to_move
        summary = plan.imported.summary() or "no changes to its content"
        self.log_change(
            request, ladder, f"Replaced by draft {draft.name}: {summary}; moved {moved}."
        )
        self.log_change(request, draft, f"Replaced {ladder.name}; retired.")
        moves = (
            f" {moved} {'person was' if moved == 1 else 'people were'} moved as you chose, "
            "effective today, and emailed with a copy to their manager."
            if moved
            else ""
        )
        self.message_user(
            request,
            f"Replaced {ladder.name} by the draft {draft.name} ({summary}).{moves} The draft "
            f"{draft.name} is now retired.",
            messages.SUCCESS,
        )
        return redirect(self._admin_url("change", quote(ladder.pk)))

    def _replacement_page(self, request, plan, *, form=None, problems=(), stale=False, status=None):
        token = signing.dumps(
            {"draft": plan.draft.pk, "base": plan.fingerprint},
            salt=preview_salt(request.user, "ladder-replace"),
        )
        if form is None:
            # Choices already made stay made, where the place still needs them, and so does
            # why; the boxes are ticked again, against what the page shows now.
            chosen = {
                name: value
                for name, value in request.POST.items()
                if name.startswith(importplan.PLACE_SEPARATOR.join(["map", ""])) or name == "why"
            }
            form = ReplacementForm(initial={"preview": token, **chosen}, plan=plan)
        else:
            form.data = form.data.copy()
            form.data["preview"] = token
        problems = [*plan.problems, *problems]
        if status is None:
            status = 409 if stale else 400 if problems else 200
        context = self._context(
            request,
            title=f"Replace {plan.ladder.name} with {plan.draft.name}",
            original=plan.draft,
            plan=plan,
            imported=plan.imported,
            sections=[section for section in plan.imported.sections if section],
            form=form,
            problems=problems,
            stale=stale,
        )
        return TemplateResponse(request, "admin/levels/ladder/replace.html", context, status=status)


def preview_salt(user, what="ladder-import"):
    """Previews are signed for the user who made them: nobody else can confirm them."""
    return f"levels.{what}.{user.pk}"


def _count_per_ladder(queryset):
    """How many rows of `queryset` each ladder has, as a subquery (so the list's count of
    ladders needs no join)."""
    rows = queryset.filter(ladder=OuterRef("pk")).order_by().values("ladder")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


def _ladder_counts(ladder):
    return {
        "levels": ladder.levels.count(),
        "expectations": Expectation.objects.filter(level__ladder=ladder).count(),
        "tracks": ladder.tracks.count(),
    }


class ExpectationInline(
    LabelledInputs,
    RetireInsteadOfDeleting,
    SameLadderChoices,
    LadderRows,
    TabularRows,
):
    model = Expectation
    extra = 0
    fields = ["category", "text", "position", "is_active"]
    same_ladder = {"category": Category}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category")


class AspectValueInline(LabelledInputs, SameLadderChoices, LadderRows, TabularRows):
    model = AspectValue
    extra = 0
    fields = ["aspect", "level", "value"]
    same_ladder = {"aspect": Aspect, "level": Level}
    verbose_name_plural = "comparison values"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("aspect", "level")


class RetireActions:
    """Retire and bring back: what to do with something in use, which cannot be deleted."""

    actions = ["retire_selected", "bring_back_selected"]

    def delete_view(self, request, object_id, extra_context=None):
        # A refused delete offers to retire the object instead.
        context = {"can_retire": self.has_change_permission(request), **(extra_context or {})}
        return super().delete_view(request, object_id, context)

    @admin.action(
        description="Retire selected (hide from pickers, keep in history)", permissions=["change"]
    )
    def retire_selected(self, request, queryset):
        with history.reason("Retired"):
            count = services.retire(queryset)
        self.message_user(
            request,
            f"Retired {count}. They no longer show on the ladder pages or in pickers; "
            "evidence, reviews and level history that mention them are kept.",
            messages.SUCCESS,
        )
        for ladder in self.stranding_ladders(queryset):
            warn_stranded_levels(self, request, ladder)

    @admin.action(description="Bring back selected", permissions=["change"])
    def bring_back_selected(self, request, queryset):
        with history.reason("Brought back"):
            count = services.bring_back(queryset)
        self.message_user(request, f"Brought back {count}.", messages.SUCCESS)


def warn_stranded_levels(model_admin, request, ladder):
    """After tracks change: say which active levels are now on no active track."""
    stranded = services.stranded_levels(ladder)
    if stranded:
        names = ", ".join(level.name for level in stranded)
        model_admin.message_user(
            request,
            f"On the {ladder.name} ladder, {names} "
            f"{'is' if len(stranded) == 1 else 'are'} now on no active track, so nobody "
            "can be placed there: put them on an active track, or retire them too.",
            messages.WARNING,
        )


@admin.register(Level)
class LevelAdmin(RetireActions, LadderDataAdmin):
    save_on_top = True
    list_display = ["name", "short_name", "code", "grade", "ladder", "position", "is_active"]
    list_filter = ["ladder", "is_active"]
    list_select_related = ["ladder"]
    search_fields = ["name", "short_name", "key", "code"]
    fieldsets = [
        (None, {"fields": ["ladder", "name", "short_name", "key", "code", "grade"]}),
        ("What the level is", {"fields": ["summary", "next_step"]}),
        ("Place", {"fields": ["position", "is_active"]}),
    ]
    inlines = [ExpectationInline, AspectValueInline]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # The fingerprint against stale saves travels with the first fieldset.
        first = {**fieldsets[0][1], "fields": [*fieldsets[0][1]["fields"], "edit_token"]}
        return [(fieldsets[0][0], first), *fieldsets[1:]]


class TrackLevelInline(LabelledInputs, SameLadderChoices, LadderRows, TabularRows):
    model = TrackLevel
    extra = 0
    fields = ["level", "position"]
    same_ladder = {"level": Level}
    verbose_name = "level on this track"
    verbose_name_plural = "levels on this track, first step first"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("track", "level")


@admin.register(Track)
class TrackAdmin(RetireActions, LadderDataAdmin):
    list_display = ["name", "key", "ladder", "position", "is_active"]
    list_filter = ["ladder", "is_active"]
    list_select_related = ["ladder"]
    search_fields = ["name", "key"]
    inlines = [TrackLevelInline]

    def stranding_ladders(self, tracks):
        return Ladder.objects.filter(pk__in={track.ladder_id for track in tracks})


@admin.register(Aspect)
class AspectAdmin(LadderDataAdmin):
    list_display = ["name", "ladder", "position"]
    list_filter = ["ladder"]
    list_select_related = ["ladder"]
    search_fields = ["name"]
    inlines = [AspectValueInline]


class ExamplesField(forms.CharField):
    """An expectation's examples as one text: each example a paragraph, a blank line
    between two."""

    widget = AdminTextareaWidget(attrs={"rows": 6})

    def prepare_value(self, value):
        return "\n\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        return [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


class LinksField(forms.CharField):
    """An expectation's links as one text: a link a line, its title, a bar and its
    address (`Interviewing guide | https://example.com/guide`)."""

    widget = AdminTextareaWidget(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(f"{link['title']} | {link['url']}" for link in value)
        return value

    def to_python(self, value):
        links = []
        for number, line in enumerate(super().to_python(value).splitlines(), start=1):
            if not line.strip():
                continue
            title, bar, url = line.rpartition("|")
            title, url = title.strip(), url.strip()
            if not bar or not title:
                raise ValidationError(
                    f"Line {number}: write the title, a bar and the address "
                    "(Guide | https://example.com/guide)."
                )
            problem = rules.link_problem(url)
            if problem:
                raise ValidationError(f"Line {number}: the address {problem}.")
            links.append({"title": title, "url": url})
        return links


@admin.register(Expectation)
class ExpectationAdmin(RetireActions, LadderDataAdmin):
    list_display = ["text", "level", "category", "key", "position", "is_active"]
    list_filter = ["level__ladder", "level", "category__name", "is_active"]
    list_select_related = ["level", "category"]
    search_fields = ["text", "key"]
    fieldsets = [
        (None, {"fields": ["level", "category", "text", "key"]}),
        ("Details", {"fields": ["proficiency", "examples", "links"]}),
        ("Place", {"fields": ["position", "is_active"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # The fingerprint against stale saves travels with the first fieldset.
        first = {**fieldsets[0][1], "fields": [*fieldsets[0][1]["fields"], "edit_token"]}
        return [(fieldsets[0][0], first), *fieldsets[1:]]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "examples":
            return draw_plainly(
                ExamplesField(
                    required=False,
                    help_text="Each example a paragraph: leave a blank line between two.",
                )
            )
        if db_field.name == "links":
            return draw_plainly(
                LinksField(
                    required=False,
                    help_text="A link a line: its title, a bar, its http or https address.",
                )
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

"""The admin for people: HR's view of everyone, the level history, and the CSV import.

Levels change only through "Assign level" on a person's page (`services.assign_level`),
so the admin shows them read-only; a new person is placed with `services.place_employee`;
a manager is checked with `services.check_manager`, so a loop is a form error, and set
with `services.set_manager`, which checks again under the reporting-lines lock.

Nobody manages their own record (`access`): HR's own person is read-only here. A person's
sign-in is chosen once, among accounts that are neither staff nor superusers and belong to
nobody else, and is never relinked to another account afterwards.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from levels.history import made_by

from . import access, peoplefile, services
from .models import Employee, Evidence, EvidenceChange, LevelAssignment, Review, ReviewRating


class EmployeeChangeForm(forms.ModelForm):
    """A person's details; the manager is checked for loops by the service's rule."""

    class Meta:
        model = Employee
        fields = ["full_name", "email", "job_title", "manager", "user", "is_active"]

    user = forms.CharField(
        label="Sign-in",
        required=False,
        max_length=150,
        help_text=(
            "The username of this person's account, if they have one: an account not linked "
            "to anyone else (and, unless a superuser links it, not staff). Once set, it "
            "cannot be changed here."
        ),
    )
    by = None  # who is filling it in (set by the admin)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id is not None:
            del self.fields["user"]  # linked once, never relinked: not even a blank is taken

    def clean_user(self):
        return services.account_to_link(self.cleaned_data["user"], by=self.by)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        manager = cleaned.get("manager")
        if manager is not None:
            try:
                services.check_manager(self.instance, manager)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class EmployeeAddForm(EmployeeChangeForm):
    """A new person, placed on the ladder with the first assignment of their history."""

    effective_on = forms.DateField(
        label="Level effective date",
        help_text="When the person took this level: today or earlier.",
    )

    class Meta(EmployeeChangeForm.Meta):
        fields = [*EmployeeChangeForm.Meta.fields, "ladder", "track", "level"]

    def clean_effective_on(self):
        # The policy of services.assign_level, which place_employee does not check itself.
        effective_on = self.cleaned_data["effective_on"]
        if effective_on > timezone.localdate():
            raise ValidationError("A level takes effect today or earlier.")
        return effective_on

    def clean(self):
        cleaned = super().clean()
        ladder, track, level = (cleaned.get(name) for name in ("ladder", "track", "level"))
        if ladder and track and level:
            try:
                services.check_placement(ladder=ladder, track=track, level=level)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


def _name_of(field):
    """A read-only column showing the sign-in in `field` by name."""

    def name(obj):
        return made_by(getattr(obj, field.name), nobody="—")

    name.short_description = field.verbose_name
    return name


class SignInsAsText:
    """Shows the sign-ins a record points at (its author, who assigned a level...) as
    names rather than as links to the account pages, which HR may not open."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self._sign_ins = set()
        for field in self.model._meta.fields:
            if field.is_relation and field.related_model is User:
                self._sign_ins.add(field.name)
                setattr(self, f"{field.name}_name", _name_of(field))

    def _as_text(self, names):
        shown = []
        for name in names:
            name = f"{name}_name" if name in self._sign_ins else name
            if name not in shown:
                shown.append(name)
        return shown

    def get_fields(self, request, obj=None):
        return self._as_text(super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._as_text(super().get_readonly_fields(request, obj))


class LevelAssignmentInline(SignInsAsText, admin.TabularInline):
    """The person's level history, newest first, read-only."""

    model = LevelAssignment
    fields = ["effective_on", "level", "track", "assigned_by", "rationale"]
    readonly_fields = fields
    ordering = ["-effective_on", "-id"]
    extra = 0
    can_delete = False
    verbose_name = "level history entry"
    verbose_name_plural = "level history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level", "track", "assigned_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PeopleImportForm(forms.Form):
    """The upload of a people file."""

    file = forms.FileField(
        label="CSV file",
        help_text="A .csv file saved as UTF-8, with the header shown above.",
    )
    invite = forms.BooleanField(
        label="Email each new person a link to choose a password",
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = peoplefile.max_bytes()
        if upload.size > limit:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; people files may be at most {limit:,} bytes."
            )
        # Refused before importing: a longer file would not finish within the request.
        rows = peoplefile.max_rows_in_admin()
        content = upload.read()
        upload.seek(0)
        if peoplefile.lists_more_than(content, rows):
            raise ValidationError(
                f"The file lists more than {rows:,} people, too many to import here within "
                "one request. Import it on the server with: manage.py import_people FILE"
            )
        return upload


class ManagerRefused(Exception):
    """A manager change refused under the lock after the form had accepted it."""

    def __init__(self, error):
        self.error = error
        super().__init__(*error.messages)


@admin.register(Employee)
class EmployeeAdmin(SignInsAsText, admin.ModelAdmin):
    list_display = ["full_name", "email", "job_title", "manager", "level", "track", "is_active"]
    list_select_related = ["manager", "level", "track"]
    list_filter = ["ladder", "track", "level", "is_active"]
    search_fields = ["full_name", "email", "job_title"]
    autocomplete_fields = ["manager"]
    inlines = [LevelAssignmentInline]

    def get_form(self, request, obj=None, **kwargs):
        base = EmployeeChangeForm if obj is not None else EmployeeAddForm
        kwargs["form"] = type(base.__name__, (base,), {"by": request.user})
        form = super().get_form(request, obj, **kwargs)
        if "manager" in form.base_fields:  # not on a read-only page
            # Pick a manager, but do not edit or delete other people from this form.
            widget = form.base_fields["manager"].widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = False
        return form

    def has_delete_permission(self, request, obj=None):
        """People are never deleted, so their history stays: untick "active" instead."""
        return False

    def get_fieldsets(self, request, obj=None):
        sign_in = "user" if obj is None or obj.user_id is None else "user_name"
        person = (None, {"fields": ["full_name", "email", "job_title", "manager", sign_in]})
        if obj is None:
            return [
                person,
                ("Level", {"fields": ["ladder", "track", "level", "effective_on"]}),
                ("Status", {"fields": ["is_active"]}),
            ]
        note = format_html(
            'Levels change through <a href="{}">Assign level</a> on the person\'s page, '
            "which keeps their history.",
            reverse("assessments:assign_level", args=[obj.pk]),
        )
        if access.is_self(request.user, obj):
            person[1]["description"] = (
                "This is your own record, so you can read it but not change it: nobody "
                "manages their own record. Your manager or another HR person changes it."
            )
            note = None
        return [
            person,
            ("Level", {"fields": ["ladder", "track", "level"], "description": note}),
            ("Status", {"fields": ["is_active"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["ladder", "track", "level"]
        if obj.user_id is not None:
            readonly.append("user")  # never relinked to another account
        return self._as_text(readonly)

    def has_change_permission(self, request, obj=None):
        """HR's own record is read-only: their manager or another HR person changes it."""
        if obj is not None and access.is_self(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            employee = services.place_employee(
                full_name=data["full_name"],
                email=data["email"],
                ladder=data["ladder"],
                track=data["track"],
                level=data["level"],
                effective_on=data["effective_on"],
                by=request.user,
                job_title=data["job_title"],
                manager=data["manager"],
                user=data["user"],
                is_active=data["is_active"],
            )
            obj.pk, obj.created_at = employee.pk, employee.created_at
            obj._state.adding, obj._state.db = False, employee._state.db
            return
        # Save only what the form changed: the level and track are the service's to write,
        # the manager and the active flag go through theirs.
        special = {"is_active", "manager"}
        fields = [name for name in form.changed_data if name not in special]
        with transaction.atomic():
            if fields:
                obj.save(update_fields=fields)
            if "manager" in form.changed_data:
                try:
                    services.set_manager(employee=obj, manager=obj.manager)
                except ValidationError as error:
                    # Someone else changed the reporting lines since the form was checked.
                    raise ManagerRefused(error) from error
            if "is_active" in form.changed_data:
                if obj.is_active:
                    services.reactivate_employee(employee=obj)
                else:
                    services.deactivate_employee(employee=obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ManagerRefused as refused:
            # Nothing was saved (the change runs in one transaction): say why, and go back.
            for problem in refused.error.messages:
                messages.error(request, f"Nothing was saved: {problem}")
            return redirect(request.get_full_path())

    # The CSV import ------------------------------------------------------------------

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a people file: every problem listed and nothing written, or everyone
        imported and a summary."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems = []
        form = (
            PeopleImportForm(request.POST, request.FILES)
            if request.method == "POST"
            else PeopleImportForm()
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                summary = peoplefile.import_people(
                    content=upload.read(),
                    by=request.user,
                    invite=form.cleaned_data["invite"],
                    request=request,
                )
            except peoplefile.PeopleFileError as error:
                problems = error.problems
            else:
                messages.success(request, f"Imported {upload.name}. {summary}")
                return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import people from CSV",
            "form": form,
            "problems": problems,
            "columns": peoplefile.COLUMNS,
            "max_bytes": peoplefile.max_bytes(),
            "max_rows": f"{peoplefile.max_rows_in_admin():,}",
            "has_view_permission": self.has_view_permission(request),
        }
        status = 400 if problems or form.errors else 200
        return TemplateResponse(
            request, "admin/assessments/employee/import.html", context, status=status
        )


class ReadOnlyAdmin(SignInsAsText, admin.ModelAdmin):
    """A history or record that is written elsewhere, under its own rules: readable
    here, never added, changed or deleted."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LevelAssignment)
class LevelAssignmentAdmin(ReadOnlyAdmin):
    """Level history across everyone, read-only: assign levels from a person's page."""

    list_display = ["employee", "level", "track", "effective_on", "assigned_by", "created_at"]
    list_select_related = ["employee", "level", "track", "assigned_by"]
    list_filter = ["level__ladder", "track", "level"]
    search_fields = ["employee__full_name", "employee__email", "rationale"]
    date_hierarchy = "effective_on"
    fields = ["employee", "level", "track", "effective_on", "assigned_by", "rationale"]


class EvidenceChangeInline(SignInsAsText, admin.TabularInline):
    model = EvidenceChange
    extra = 0
    fields = ["changed_at", "action", "changed_by", "snapshot"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    """Evidence across everyone, read-only: it is written on people's pages, where the
    rules (who may write what, confirmation of wins) apply; each change is listed."""

    list_display = [
        "employee",
        "expectation_text",
        "level_name",
        "observed_on",
        "source",
        "kind",
        "status",
        "visibility",
    ]
    list_select_related = ["employee"]
    list_filter = ["status", "source", "kind", "visibility", "level__ladder"]
    search_fields = ["employee__full_name", "description", "expectation_text"]
    date_hierarchy = "observed_on"
    inlines = [EvidenceChangeInline]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "criteria"]


class ReviewRatingInline(admin.TabularInline):
    model = ReviewRating
    extra = 0
    fields = ["position", "category_name", "expectation_text", "rating", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Level reviews, read-only here: managers write them on people's pages."""

    list_display = ["employee", "target_level_name", "status", "readiness", "created_at"]
    list_select_related = ["employee"]
    list_filter = ["status", "readiness", "target_level__ladder"]
    search_fields = ["employee__full_name", "summary"]
    inlines = [ReviewRatingInline]

"""The admin for people: HR's view of everyone, the level history, and the CSV import.

Levels change only through "Assign level" on a person's page (`services.assign_level`),
so the admin shows them read-only; a new person is placed with `services.place_employee`;
a manager is checked with `services.check_manager`, so a loop is a form error, and set
with `services.set_manager`, which checks again under the reporting-lines lock.

Nobody manages their own record (`access`): HR's own person is read-only here. A person's
sign-in is chosen once, among accounts that are neither staff nor superusers and belong to
nobody else, and is never relinked to another account afterwards.

A person's page offers HR their data as a file and, once they have left, their erasure
(`datarequests`).
"""

import datetime
import functools
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from jobs import runner
from jobs.models import Job
from levels.history import made_by, reason_field
from levels.models import Ladder
from pmladder.adminlists import LargeListAdmin, PeriodListFilter, SearchPlannedForItsWords

from . import access, datarequests, peoplefile, services
from . import jobs as people_jobs
from .models import (
    Employee,
    Evidence,
    EvidenceChange,
    LevelAssignment,
    PeopleImport,
    Review,
    ReviewRating,
)


class EmployeeChangeForm(forms.ModelForm):
    """A person's details; the manager is checked for loops by the service's rule. Why
    they change goes with the change into the person's admin history."""

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
    why = reason_field()
    by = None  # who is filling it in (set by the admin)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id is not None:
            del self.fields["user"]  # linked once, never relinked: not even a blank is taken

    @cached_property
    def changed_data(self):
        # The reason says why the person changes; on its own it is no change.
        return [name for name in super().changed_data if name != "why"]

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

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = peoplefile.max_bytes()
        if upload.size > limit:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; people files may be at most {limit:,} bytes."
            )
        return upload


class PeopleConfirmForm(forms.Form):
    """The confirmation of a previewed people file."""

    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)
    allow_step_down = forms.BooleanField(
        label="Yes, apply the step-downs listed above",
        required=False,
        help_text="People moved to a lower level. Without this, the file is not imported.",
    )
    notify = forms.BooleanField(
        label="Email each person whose level changes, with a copy to their manager",
        required=False,
        help_text="The new level, its date and the reason, as Assign level sends them.",
    )
    invite = forms.BooleanField(
        label="Email each new person a link to choose a password",
        required=False,
    )

    def __init__(self, *args, preview=None, **kwargs):
        if preview is not None:
            kwargs.setdefault("initial", {"fingerprint": preview.fingerprint, "notify": True})
        super().__init__(*args, **kwargs)

    def shown_fields(self, preview):
        """The boxes that concern this preview (a `PreviewSummary`): step-downs, level
        changes to tell people about, and invitations for new people."""
        wanted = {
            "allow_step_down": bool(preview.counts["step_downs"]),
            "notify": bool(preview.counts["level_changes"]),
            "invite": bool(preview.counts["created"]),
        }
        return [field for field in self.visible_fields() if wanted[field.name]]


class ManagerRefused(Exception):
    """A manager change refused under the lock after the form had accepted it."""

    def __init__(self, error):
        self.error = error
        super().__init__(*error.messages)


@admin.register(Employee)
class EmployeeAdmin(SignInsAsText, SearchPlannedForItsWords, admin.ModelAdmin):
    list_display = ["full_name", "email", "job_title", "manager", "place", "is_active"]
    list_select_related = ["manager", "level", "track"]
    # Only the ladders, tracks and levels someone is on: copies and drafts of a ladder
    # would otherwise list every name several times over.
    list_filter = [
        ("ladder", admin.RelatedOnlyFieldListFilter),
        ("track", admin.RelatedOnlyFieldListFilter),
        ("level", admin.RelatedOnlyFieldListFilter),
        "is_active",
    ]
    # Names and emails by their start, titles by any part: each served by an index.
    # Any part of a name (a surname, a full name), the start of an email; all indexed.
    search_fields = ["full_name", "^email", "job_title"]
    show_full_result_count = False  # one count a page, not two
    list_per_page = 50  # as the other big lists: drawing the rows is most of a page's time
    autocomplete_fields = ["manager"]
    inlines = [LevelAssignmentInline]

    @admin.display(description="level", ordering="level__position")
    def place(self, employee):
        """The level's short name and the track, which fit a narrow column."""
        return f"{employee.level.short_name or employee.level.name} · {employee.track.name}"

    def get_form(self, request, obj=None, **kwargs):
        base = EmployeeChangeForm if obj is not None else EmployeeAddForm
        kwargs["form"] = type(base.__name__, (base,), {"by": request.user})
        form = super().get_form(request, obj, **kwargs)
        if "manager" in form.base_fields:  # not on a read-only page
            # Pick a manager, but do not edit or delete other people from this form.
            widget = form.base_fields["manager"].widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = False
        if "ladder" in form.base_fields:  # the add form: people join published ladders only
            form.base_fields["ladder"].queryset = Ladder.objects.published()
            for name in ("track", "level"):
                field = form.base_fields[name]
                field.queryset = field.queryset.filter(ladder__status=Ladder.Status.PUBLISHED)
        return form

    def has_delete_permission(self, request, obj=None):
        """People are never deleted, so their history stays: untick "active" instead."""
        return False

    def get_fieldsets(self, request, obj=None):
        sign_in = "user" if obj is None or obj.user_id is None else "user_name"
        person = (None, {"fields": ["full_name", "email", "job_title", "manager", sign_in]})
        why = ("Why", {"fields": ["why"]})
        if obj is None:
            return [
                person,
                ("Level", {"fields": ["ladder", "track", "level", "effective_on"]}),
                ("Status", {"fields": ["is_active"]}),
                why,
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
        fieldsets = [
            person,
            ("Level", {"fields": ["ladder", "track", "level"], "description": note}),
            ("Status", {"fields": ["is_active"]}),
        ]
        # A read-only page has no reason to give.
        return [*fieldsets, why] if self.has_change_permission(request, obj) else fieldsets

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

    def construct_change_message(self, request, form, formsets, add=False):
        """Django's summary of what changed ("Changed Job title and Manager."), then why:
        a person's admin history is their change history."""
        message = super().construct_change_message(request, form, formsets, add)
        why = form.cleaned_data.get("why")
        if not why:
            return message
        summary = LogEntry(change_message=json.dumps(message)).get_change_message()
        return f"{summary or 'No fields changed.'} Why: {why}"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ManagerRefused as refused:
            # Nothing was saved (the change runs in one transaction): say why, and go back.
            for problem in refused.error.messages:
                messages.error(request, f"Nothing was saved: {problem}")
            return redirect(request.get_full_path())

    # The CSV import and export ------------------------------------------------------

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=f"{name}_import"),
            path("import/<int:pk>/", view(self.import_preview_view), name=f"{name}_import_preview"),
            path("import/template/", view(self.import_template_view), name=f"{name}_template"),
            path("export/", view(self.export_view), name=f"{name}_export"),
            path("<path:object_id>/data/", view(self.data_view), name=f"{name}_data"),
            path("<path:object_id>/erase/", view(self.erase_view), name=f"{name}_erase"),
            *super().get_urls(),
        ]

    def _people_url(self, name, *args):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def import_view(self, request):
        """Upload a people file: a file that cannot be read is refused with every problem
        listed; a readable one is kept, unapplied, and its preview opens at its own
        address. A long file is kept as it is, for a background task to read and preview
        (`people_jobs.in_background`): its problems are listed by that task."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = PeopleImportForm(request.POST, request.FILES)
        else:
            form = PeopleImportForm()
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            name, content = _file_name(upload.name), upload.read()
            # Only a file that reads as text counts as long: any other is refused here.
            long = peoplefile.lists_more_than(content, peoplefile.max_rows_in_request())
            if not long:
                try:
                    peoplefile.read(content)  # the file on its own; the preview checks the rest
                except peoplefile.PeopleFileError as error:
                    return self._upload_page(request, form, error.problems, file_name=name)
            expired = PeopleImport.objects.filter(
                applied_at__isnull=True, created_at__lt=timezone.now() - PREVIEW_MAX_AGE
            )
            people_jobs.forget_previews(expired.values_list("pk", flat=True))
            expired.delete()
            kept = PeopleImport.objects.create(
                file_name=name, content=content.decode("utf-8-sig"), uploaded_by=request.user
            )
            if long:
                return redirect(people_jobs.start_preview(kept, by=request.user))
            return redirect(self._people_url("import_preview", kept.pk))
        return self._upload_page(request, form)

    def _upload_page(self, request, form, problems=(), *, file_name=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import people from CSV",
            "form": form,
            "problems": list(problems),
            "file_name": file_name,
            "columns": peoplefile.COLUMNS,
            "optional_columns": peoplefile.OPTIONAL_COLUMNS,
            "max_bytes": peoplefile.max_bytes(),
            "max_rows": f"{peoplefile.max_rows_in_request():,}",
            "has_view_permission": self.has_view_permission(request),
        }
        status = 400 if problems or form.errors else 200
        return TemplateResponse(
            request, "admin/assessments/employee/import.html", context, status=status
        )

    def import_preview_view(self, request, pk):
        """An uploaded file's preview; confirming imports it, if nothing has changed since
        the preview and any step-down is ticked. A long file's preview is made by a
        background task (`_background_preview`); a short one's, here."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        # The file itself (up to PEOPLE_FILE_MAX_BYTES) is read only when it is needed.
        upload = (
            PeopleImport.objects.defer("content", "shown")
            .filter(pk=pk, uploaded_by=request.user)
            .first()
        )
        if upload is None:
            raise Http404("No such upload: each person confirms the files they uploaded.")
        if upload.applied_at is not None:
            self.message_user(
                request,
                f"The file {upload.file_name} was imported already: {upload.summary}",
                messages.INFO,
            )
            return redirect(self._people_url("changelist"))
        if upload.created_at < timezone.now() - PREVIEW_MAX_AGE:
            self.message_user(
                request,
                f"The preview of {upload.file_name} has expired; nothing was changed. "
                "Upload the file again.",
                messages.ERROR,
            )
            return redirect(self._people_url("import"))
        pending = people_jobs.pending_import(upload)
        if pending is not None:  # confirmed already: follow that import
            return redirect(pending)
        job = people_jobs.latest_preview(upload)
        if job is not None or people_jobs.too_long_for_a_request(upload):
            return self._background_preview(request, upload, job)
        if request.method != "POST":
            # Back from an import refused because people changed: point out what did.
            return self._current_preview(request, upload, stale="changed" in request.GET)
        form = PeopleConfirmForm(request.POST)
        if not form.is_valid():
            return self._current_preview(request, upload, form)
        data = form.cleaned_data
        try:
            preview = peoplefile.preview(upload.content, by=request.user, name=upload.file_name)
        except peoplefile.PeopleFileError as error:
            return self._upload_page(
                request, PeopleImportForm(), error.problems, file_name=upload.file_name
            )
        if preview.fingerprint != data["fingerprint"]:  # people changed since the preview
            preview.mark_changed_since(upload.shown)
            return self._shown_preview(request, upload, preview, None, stale=True)
        if not data["allow_step_down"] and preview.step_downs:
            return self._shown_preview(request, upload, preview, form, step_downs_refused=True)
        return self._start_import(request, upload, data)

    def _background_preview(self, request, upload, job):
        """A long file's preview, as its latest preview task (`job`) found it: while the
        task runs (or when it failed) its page says how it goes. Confirming is checked
        against that preview here, then against the people as they are by the import."""
        if job is None:  # its task was removed: preview the file again
            job = people_jobs.start_preview(upload, by=request.user)
        if job.status != Job.Status.SUCCEEDED or not job.result:
            return redirect(job)
        summary = peoplefile.PreviewSummary.from_json(job.result)
        page = functools.partial(self._preview_page, request, upload, summary, job=job)
        if request.method != "POST":
            return page(PeopleConfirmForm(preview=summary), stale=summary.stale)
        form = PeopleConfirmForm(request.POST)
        if not form.is_valid():
            return page(form)
        data = form.cleaned_data
        if summary.fingerprint != data["fingerprint"]:  # a newer preview than the one seen
            return page(PeopleConfirmForm(preview=summary), stale=True)
        if not data["allow_step_down"] and summary.counts["step_downs"]:
            return page(form, problems=self._step_down_problems(summary))
        return self._start_import(request, upload, data)

    def _start_import(self, request, upload, data):
        # The import runs as a task, which checks the file against this fingerprint again
        # under the reporting-lines lock, writes all or nothing, then sends the emails.
        job = runner.start(
            Job.Kind.PEOPLE_IMPORT,
            by=request.user,
            title=f"Import {upload.file_name}",
            upload=upload.pk,
            expected=data["fingerprint"],
            allow_step_down=data["allow_step_down"],
            notify=data["notify"],
            invite=data["invite"],
            domain=request.get_host(),
            use_https=request.is_secure(),
        )
        return redirect(job)

    @staticmethod
    def _step_down_problems(summary):
        """Why the import is refused without the step-down box: each step-down, the first
        ones of a long list."""
        problems = peoplefile.step_down_problems(summary)
        more = summary.counts["step_downs"] - len(summary.step_downs)
        if more > 0:
            problems.append(f"and {more:,} more step-downs, listed in the preview's file")
        return problems

    def _current_preview(self, request, upload, form=None, *, stale=False):
        """The preview of a kept file as it stands now, with `form` or a fresh one; `stale`
        marks the people who changed since the preview shown before."""
        try:
            preview = peoplefile.preview(upload.content, by=request.user, name=upload.file_name)
        except peoplefile.PeopleFileError as error:
            return self._upload_page(
                request, PeopleImportForm(), error.problems, file_name=upload.file_name
            )
        if stale:
            preview.mark_changed_since(upload.shown)
        return self._shown_preview(request, upload, preview, form, stale=stale)

    def _shown_preview(
        self, request, upload, preview, form, *, stale=False, step_downs_refused=False
    ):
        """The page of a preview made here: what it shows is kept on the upload, for the
        confirmation to be checked against."""
        upload.shown = preview.digests()
        upload.save(update_fields=["shown"])
        summary = preview.summary(people_jobs.PREVIEW_ROWS_SHOWN)
        if form is None:
            form = PeopleConfirmForm(preview=summary)
        problems = self._step_down_problems(summary) if step_downs_refused else ()
        return self._preview_page(request, upload, summary, form, problems=problems, stale=stale)

    def _preview_page(self, request, upload, preview, form, *, problems=(), stale=False, job=None):
        """The page of a `PreviewSummary`; with the `job` that made it, a link to the
        whole of it as a file."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview the import of {upload.file_name}",
            "upload": upload,
            "preview": preview,
            "form": form,
            "problems": list(problems),
            "stale": stale,
            "shown": people_jobs.TASK_PREVIEW_ROWS_SHOWN,
            "confirm_fields": form.shown_fields(preview),
            "preview_job": job,
            "has_view_permission": self.has_view_permission(request),
        }
        status = (
            409 if stale and request.method == "POST" else 400 if problems or form.errors else 200
        )
        return TemplateResponse(
            request, "admin/assessments/employee/import_preview.html", context, status=status
        )

    def import_template_view(self, request):
        """A people file with the header and one example row, to fill in."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return _csv_response(peoplefile.template_lines(), "people-template.csv")

    def export_view(self, request):
        """Everyone active as a people file, which imports back without a change: made by
        a task, whose page offers the file."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Export people as CSV",
                "count": Employee.objects.filter(is_active=True).count(),
                "has_view_permission": True,
            }
            return TemplateResponse(request, "admin/assessments/employee/export.html", context)
        name = f"people-{timezone.localdate().isoformat()}.csv"
        job = runner.start(
            Job.Kind.PEOPLE_EXPORT, by=request.user, title=f"Export {name}", file_name=name
        )
        return redirect(job)

    # Data requests about one person (`datarequests`) ------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Whether the object tools offer the erasure: only for someone not erased yet.
        context["erased"] = obj is not None and datarequests.is_erased(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def data_view(self, request, object_id):
        """Everything held about one person, as a JSON file named by their id; each
        download is noted in their record's history."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        employee = self.get_object(request, unquote(object_id))
        if employee is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, employee):
            raise PermissionDenied
        self.log_change(request, employee, "Downloaded their data (data request).")
        response = HttpResponse(
            datarequests.export_json(employee), content_type="application/json; charset=utf-8"
        )
        response.headers["Content-Disposition"] = content_disposition_header(
            True, datarequests.export_file_name(employee)
        )
        return response

    def erase_view(self, request, object_id):
        """Erase someone who has left, after a page that says what it does: the confirmed
        erasure runs as a background task, whose page follows it. Someone still active is
        refused (409 on a POST) with the reason; while their erasure waits or runs, this
        leads to it."""
        employee = self.get_object(request, unquote(object_id))
        if employee is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, employee):
            raise PermissionDenied
        change_url = self._people_url("change", quote(employee.pk))
        if datarequests.is_erased(employee):
            self.message_user(request, f"{employee} was erased already.", messages.INFO)
            return redirect(change_url)
        pending = datarequests.pending_erasure(employee)
        if pending is not None:
            self.message_user(
                request,
                "This person is being erased already: here is how far it has got.",
                messages.INFO,
            )
            return redirect(pending)
        form = EraseForm(request.POST if request.method == "POST" else None)
        refused = (
            datarequests.STILL_ACTIVE.format(name=employee.full_name)
            if employee.is_active
            else None
        )
        status = 200
        if request.method == "POST":
            if refused:
                status = 409
            elif not form.is_valid():
                status = 400
            else:
                job, _ = datarequests.start_erasure(employee, by=request.user)
                return redirect(job)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Erase {employee}",
            "original": employee,
            "form": form,
            "refused": refused,
            "erased_name": datarequests.erased_name(employee),
            "erased_email": datarequests.erased_email(employee),
            "first_name": datarequests.first_name(employee),
            "has_view_permission": True,
        }
        return TemplateResponse(
            request, "admin/assessments/employee/erase.html", context, status=status
        )


class EraseForm(forms.Form):
    """The confirmation of an erasure."""

    confirm = forms.BooleanField(
        label="Yes, erase this person's name, contact details and every text about them",
        help_text="This cannot be undone.",
    )


# How long an uploaded people file waits for its confirmation.
PREVIEW_MAX_AGE = datetime.timedelta(hours=24)


def _file_name(name):
    """The uploaded file's own name, without any folder a browser sent, for messages."""
    return (name or "people.csv").replace("\\", "/").rsplit("/", 1)[-1][:255] or "people.csv"


def _csv_response(lines, file_name):
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


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
class LevelAssignmentAdmin(LargeListAdmin, ReadOnlyAdmin):
    """Level history across everyone, read-only: assign levels from a person's page."""

    list_display = ["employee", "level", "track", "effective_on", "assigned_by", "created_at"]
    list_select_related = ["employee", "level", "track", "assigned_by"]
    list_filter = [("effective_on", PeriodListFilter), "level__ladder", "track", "level"]
    search_fields = ["^employee__full_name", "^employee__email", "rationale"]
    search_help_text = (
        "A person by the start of their name or email, or words (three letters or more) "
        "of the rationale."
    )
    sortable_by = ["effective_on"]
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
class EvidenceAdmin(LargeListAdmin, ReadOnlyAdmin):
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
    list_filter = [
        ("observed_on", PeriodListFilter),
        "status",
        "source",
        "kind",
        "visibility",
        "level__ladder",
    ]
    search_fields = [
        "^employee__full_name",
        "^employee__email",
        "description",
        "expectation_text",
    ]
    search_help_text = (
        "A person by the start of their name or email, or words (three letters or more) "
        "of the description or of the expectation."
    )
    sortable_by = ["observed_on"]
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
class ReviewAdmin(LargeListAdmin, ReadOnlyAdmin):
    """Level reviews, read-only here: managers write them on people's pages."""

    list_display = ["employee", "target_level_name", "status", "readiness", "created_at"]
    list_select_related = ["employee"]
    list_filter = ["status", "readiness", "target_level__ladder"]
    search_fields = ["^employee__full_name", "^employee__email", "summary"]
    search_help_text = (
        "A person by the start of their name or email, or words (three letters or more) "
        "of the summary."
    )
    sortable_by = ["created_at"]
    inlines = [ReviewRatingInline]

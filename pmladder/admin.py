"""The admin site: for HR (staff in the HR group) and superusers only.

Its sign-in takes no username longer than the User model allows, and its pages refuse a
query string with a NUL character (PostgreSQL cannot compare text holding one; the
autocomplete and search boxes would otherwise fail with a server error). Every model
registered on it gets delete pages whose cost does not grow with the data
(`pmladder.admindelete`), and list pages that write each row's checkbox directly
(`PlainActionCheckbox`)."""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.http import HttpResponseBadRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

from assessments.access import is_hr

from .admindelete import with_bounded_deletes
from .middleware import note_refusal


class HRSignInForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "This sign-in is for HR. Check the %(username)s and password of an HR "
            "account (both may be case-sensitive); everyone else signs in to PM Ladder "
            "itself."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django only sets the field's maxlength attribute; enforce it, so a longer value
        # is a form error and never reaches authentication.
        User = get_user_model()
        limit = User._meta.get_field(User.USERNAME_FIELD).max_length
        self.fields["username"].validators.append(MaxLengthValidator(limit))


class PlainActionCheckbox:
    """The checkbox that selects a list's row for an action, written as Django's widget
    template writes it (the tests hold the two to the same bytes) without going through
    the template engine: a list of a hundred rows drew a hundred templates for them."""

    def action_checkbox(self, obj):
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


def with_plain_checkboxes(admin_class):
    """`admin_class`, or a subclass of it with `PlainActionCheckbox` when it has not got
    it and draws Django's own checkbox."""
    if admin_class.action_checkbox is not admin.ModelAdmin.action_checkbox:
        return admin_class
    return type(
        admin_class.__name__,
        (PlainActionCheckbox, admin_class),
        {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
    )


def _has_nul(query):
    return any(
        "\x00" in key or "\x00" in value for key, values in query.lists() for value in values
    )


class PMLadderAdminSite(admin.AdminSite):
    site_header = "PM Ladder administration"
    site_title = "PM Ladder"
    login_form = HRSignInForm

    def has_permission(self, request):
        """Staff status alone is not enough: the admin is HR's tool."""
        user = request.user
        return user.is_active and user.is_staff and is_hr(user)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin registered here, ours, Django's and other apps', gets delete pages
        that name a bounded number of objects of each kind (`pmladder.admindelete`):
        Django's own runs a query for nearly every object a delete would reach. Their
        lists write each row's checkbox directly (`PlainActionCheckbox`)."""
        admin_class = with_bounded_deletes(admin_class or admin.ModelAdmin)
        admin_class = with_plain_checkboxes(admin_class)
        super().register(model_or_iterable, admin_class, **options)

    def password_change(self, request, extra_context=None):
        """The admin's own password change, refused as the app's is while password sign-in
        is off, but for break-glass accounts (`sso.rules`)."""
        from sso.rules import password_allowed_for

        from .views import password_sign_in_off

        if not password_allowed_for(request.user.get_username()):
            return password_sign_in_off(request)
        return super().password_change(request, extra_context)

    def admin_view(self, view, cacheable=False):
        """Every admin page, also refusing a query string with a NUL character."""
        checked = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                note_refusal(request, "the admin is for HR; sent to its sign-in")
            if _has_nul(request.GET):
                note_refusal(request, "NUL character in the query string")
                return HttpResponseBadRequest(
                    "The address holds a NUL character, which no search or filter accepts.",
                    content_type="text/plain",
                )
            return checked(request, *args, **kwargs)

        return update_wrapper(inner, checked)

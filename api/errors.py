"""
Every error of the API in one shape:

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {...}}}

`status` repeats the HTTP status; `code` is a short word to test against (`invalid`,
`not_authenticated`, `authentication_failed`, `permission_denied`, `not_found`,
`method_not_allowed`, `unsupported_media_type`, `throttled`, `conflict`...); `message`
says what went wrong in a sentence; `fields`, only for bad input, lists the problems by
field (`records[3].level` for the third record of a list). A 404 never says why, so "does
not exist" and "not yours" look alike; the reason goes to the refusal log instead.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pmladder.middleware import note_refusal

NOT_FOUND = "Not found."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The data changed since you read it."
    default_code = "conflict"


def error_body(status_code, code, message, fields=None):
    error = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _flatten(detail, prefix=""):
    """A serializer's nested errors as {"field.sub[0]": ["message", ...]}."""
    fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # an item of a list, by its index
                name = f"{prefix}[{key}]"
            else:
                name = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                name = prefix or key
            fields.update(_flatten(value, name))
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, value in enumerate(detail):
            if value:
                fields.update(_flatten(value, f"{prefix}[{index}]"))
    else:
        items = detail if isinstance(detail, list) else [detail]
        fields.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in items)
    return fields


def validation_error(error):
    """A Django ValidationError of a service as the API's ValidationError."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


def exception_handler(exc, context):
    """DRF's handler, with every answer put in the one shape (see the module)."""
    request = context.get("request")
    if isinstance(exc, Http404):
        if request is not None and str(exc):
            note_refusal(request._request, str(exc))
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        if request is not None and str(exc):
            note_refusal(request._request, str(exc))
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = validation_error(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail
    fields = None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        code = "invalid"
        message = "The request was refused: see the problems listed by field."
        general = fields.get("non_field_errors")
        if general and len(fields) == 1:
            message = " ".join(general)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        message = str(detail)
    if isinstance(exc, exceptions.NotFound):
        message = NOT_FOUND
    response.data = error_body(response.status_code, code, message, fields)
    return response


# The shape in the schema ----------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="A short word to test against, e.g. `not_found`.")
    message = serializers.CharField(help_text="What went wrong, in a sentence.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For bad input: the problems by field, e.g. `records[3].level`.",
    )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every error."""

    error = ErrorDetailSerializer()


def error_response(status_code, code, message):
    return Response(error_body(status_code, code, message), status=status_code)

"""The API's OpenAPI schema (for anyone who may call the API) and its documentation page
(Swagger UI, served from the app's own static files: nothing from outside)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView


@extend_schema(exclude=True)
class SchemaView(SpectacularJSONAPIView):
    """The schema, as JSON."""


@require_GET
def docs_page(request):
    """Swagger UI over the schema, for someone signed in."""
    return render(request, "api/docs.html")

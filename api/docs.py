"""The API's OpenAPI schema (for anyone who may call the API) and its documentation page
(Swagger UI, served from the app's own static files: nothing from outside)."""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.response import Response


@extend_schema(exclude=True)
class SchemaView(SpectacularJSONAPIView):
    """The schema, as JSON. It is the same for every caller (the schema is public to
    anyone who may call the API) and changes only with the code, so each process builds
    it once per version and language: building it walks every view and serializer, about
    50 ms."""

    built = {}

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language())
        if key not in self.built:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            # Built as `manage.py spectacular` builds it, for no one in particular: the
            # same for every caller, and no query on behalf of whoever asked first.
            self.built[key] = generator.get_schema(request=None, public=self.serve_public)
        return Response(
            data=self.built[key],
            headers={
                "Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'
            },
        )


@require_GET
def docs_page(request):
    """Swagger UI over the schema, for someone signed in."""
    return render(request, "api/docs.html")

"""
The JSON API, version 1 (`/api/v1/`). Every read goes through `assessments.access`, as
the pages do: 404 for what the caller may not see, 403 for what they see but may not do.
Writes go through the services the pages, the admin and the commands use. Errors have one
shape (`api.errors`); lists are paged by cursor (`api.pagination`).
"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, parsers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments import access, peoplefile
from assessments import evidence as evidence_services
from assessments.models import Employee, Evidence, Review
from assessments.selectors import employee_of
from levels import ladderfile, structure
from levels import selectors as ladder_selectors
from levels.models import Expectation, Ladder

from . import selectors, serializers, services
from .errors import Conflict, ErrorSerializer, validation_error

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input, listed by field."),
    401: OpenApiResponse(ErrorSerializer, description="No token, or not a valid one."),
    403: OpenApiResponse(ErrorSerializer, description="Visible, but not yours to do."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or not visible to you."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests: see Retry-After."),
}


def errors(*codes):
    return {code: ERRORS[code] for code in codes}


READ_ERRORS = errors(401, 429)
ONE_ERRORS = errors(401, 404, 429)
WRITE_ERRORS = errors(400, 401, 403, 404, 429)


class ApiMixin:
    """What every API view shares: no redirect to the sign-in page (a missing token is a
    401 in the error shape)."""

    @classmethod
    def as_view(cls, **initkwargs):
        return login_not_required(super().as_view(**initkwargs))


def require_hr(user, what):
    """403 unless `user` is HR (`access.is_hr`): HR imports people and ladders."""
    if not access.is_hr(user):
        raise exceptions.PermissionDenied(f"Only HR {what}.")


# The caller ---------------------------------------------------------------------------------


@extend_schema(
    summary="Who you are",
    description="The signed-in user, whether they are HR, and their own place on a ladder.",
    responses={200: serializers.MeSerializer, **READ_ERRORS},
    tags=["me"],
)
class MeView(ApiMixin, APIView):
    def get(self, request):
        user = request.user
        me = employee_of(user)
        person = selectors.people_for(user).filter(pk=me.pk).first() if me else None
        data = {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "email": user.email,
            "hr": access.is_hr(user),
            "person": person,
        }
        return Response(serializers.MeSerializer(data).data)


# Ladders ------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="List ladders",
        description="Published ladders; HR also sees drafts and retired ladders.",
        responses={200: serializers.LadderSerializer(many=True), **READ_ERRORS},
        tags=["ladders"],
    )
)
class LadderList(ApiMixin, generics.ListAPIView):
    serializer_class = serializers.LadderSerializer

    def get_queryset(self):
        return access.visible_ladders(self.request.user)


@extend_schema_view(
    get=extend_schema(
        summary="A ladder with its structure",
        description="Its categories, levels (most junior first) with their current "
        "expectations (whose ids evidence is recorded against), its tracks, and its "
        "promotion criteria (whose ids evidence may be tagged with).",
        responses={200: serializers.LadderDetailSerializer, **ONE_ERRORS},
        tags=["ladders"],
    )
)
class LadderDetail(ApiMixin, generics.RetrieveAPIView):
    serializer_class = serializers.LadderDetailSerializer
    lookup_field = "slug"
    queryset = Ladder.objects.none()  # for the schema; the object comes from access

    def retrieve(self, request, *args, **kwargs):
        ladder = access.get_ladder(request.user, self.kwargs["slug"])
        return Response(
            structure.kept_for_version(
                ladder,
                "api-detail",
                lambda fresh: self.get_serializer(selectors.ladder_with_structure(fresh)).data,
            )
        )


class LadderFileParser(parsers.BaseParser):
    """A ladder file's text, YAML or JSON, handed to the importer as it came."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


LADDER_FILE_SCHEMA = {
    "type": "object",
    "additionalProperties": True,
    "description": "A ladder file (`format: ladder/v2`, or v1), as docs/ladder-format.md "
    "describes it.",
}


@extend_schema_view(
    get=extend_schema(
        summary="Export a ladder as a ladder file",
        description="The ladder in the ladder file format (JSON), as `export_ladder` writes "
        "it: what PUT takes back.",
        responses={
            200: OpenApiResponse(LADDER_FILE_SCHEMA, description="The ladder file."),
            **ONE_ERRORS,
        },
        tags=["ladders"],
    ),
    put=extend_schema(
        summary="Import a ladder file (HR)",
        description="Creates the ladder (as a draft) or brings it in line with the file, "
        "with the rules of the admin's import: a bad file is refused whole, every problem "
        "listed by its place in the file. The body is the file itself, YAML "
        "(`Content-Type: application/yaml`) or JSON. With `dry_run=true`, says what would "
        "change and writes nothing; give its `fingerprint` back as `expected` to apply "
        "exactly that (409 when the ladder changed meanwhile).",
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Write nothing."),
            OpenApiParameter("expected", OpenApiTypes.STR, description="A dry run's fingerprint."),
        ],
        request={
            "application/yaml": OpenApiTypes.STR,
            "application/json": LADDER_FILE_SCHEMA,
        },
        responses={
            200: serializers.LadderImportSerializer,
            201: serializers.LadderImportSerializer,
            409: OpenApiResponse(ErrorSerializer, description="The ladder changed."),
            **WRITE_ERRORS,
        },
        tags=["ladders"],
    ),
)
class LadderFile(ApiMixin, APIView):
    parser_classes = [LadderFileParser]

    def get(self, request, slug):
        ladder = access.get_ladder(request.user, slug)
        return Response(
            structure.kept_for_version(
                ladder,
                "file-data",
                lambda fresh: ladderfile.to_file_data(ladder_selectors.ladder_spec(fresh)),
            )
        )

    def put(self, request, slug):
        user = request.user
        ladder = Ladder.objects.filter(slug=slug).first()
        if ladder is not None:
            access.get_ladder(user, slug)  # 404 for a ladder they may not see
        elif not access.is_hr(user):
            access.refuse(user, access.VIEW, f"ladder {slug}", "no such ladder", status=404)
        require_hr(user, "imports ladders")
        content = request.data if isinstance(request.data, bytes) else b""  # an empty body
        if "yaml" in (request.content_type or ""):
            name = f"{slug}.yaml"
        elif "json" in (request.content_type or ""):
            name = f"{slug}.json"
        else:
            name = ""
        try:
            result = services.import_ladder_file(
                content=content,
                slug=slug,
                by=user,
                name=name,
                dry_run=_flag(request.query_params.get("dry_run")),
                expected=request.query_params.get("expected"),
            )
        except ladderfile.LadderFileError as error:
            raise exceptions.ValidationError({"file": error.problems}) from None
        except services.StaleLadder:
            raise Conflict(
                "The ladder changed since your dry run: nothing was imported. Run it again "
                "to see what the file would do now."
            ) from None
        data = {
            "slug": slug,
            "dry_run": result.dry_run,
            "created": result.created,
            "summary": result.summary,
            "fingerprint": result.plan.fingerprint,
        }
        created = result.created and not result.dry_run
        return Response(
            serializers.LadderImportSerializer(data).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _flag(value):
    return str(value).lower() in {"1", "true", "yes", "on"}


# People -------------------------------------------------------------------------------------


def _people_result(result, person=None):
    return {
        "dry_run": result.dry_run,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "invited": result.invited,
        "step_downs": list(result.step_downs),
        "person": person,
    }


def _upsert(request, records, options, *, prefix):
    """Write `records` as the people import does; its problems as a 400 by field."""
    try:
        return services.upsert_people(
            records=records,
            by=request.user,
            allow_step_down=options["allow_step_down"],
            dry_run=options["dry_run"],
            notify=options["notify"],
            invite=options["invite"],
            request=request._request,
        )
    except peoplefile.PeopleFileError as error:
        raise exceptions.ValidationError(
            services.record_problems(error.problems, prefix=prefix)
        ) from None


def _options(data):
    return {key: data[key] for key in ("allow_step_down", "dry_run", "notify", "invite")}


@extend_schema_view(
    get=extend_schema(
        summary="List people",
        description="The people you may see: yourself and everyone below you; HR sees "
        "everyone (inactive people too).",
        responses={200: serializers.PersonSerializer(many=True), **READ_ERRORS},
        tags=["people"],
    ),
    post=extend_schema(
        summary="Add a person (HR)",
        description="One record of the people file: the import's checks and rules apply. "
        "An email that exists already is refused: update that person instead.",
        request=serializers.PersonWriteSerializer,
        responses={
            201: serializers.PersonWriteResultSerializer,
            200: OpenApiResponse(serializers.PersonWriteResultSerializer, description="A dry run."),
            **WRITE_ERRORS,
        },
        tags=["people"],
    ),
)
class PeopleList(ApiMixin, generics.ListAPIView):
    serializer_class = serializers.PersonSerializer

    def get_queryset(self):
        return selectors.people_for(self.request.user)

    def post(self, request):
        require_hr(request.user, "adds people")
        form = serializers.PersonWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = form.validated_data["person"]
        if Employee.objects.filter(email__iexact=record["email"].strip()).exists():
            raise exceptions.ValidationError(
                {"person.email": ["Someone has this email already: update them instead."]}
            )
        result = _upsert(request, [record], _options(form.validated_data), prefix="person")
        person = None
        if not result.dry_run:
            person = selectors.people_for(request.user).get(email__iexact=record["email"].strip())
        return Response(
            serializers.PersonWriteResultSerializer(_people_result(result, person)).data,
            status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        summary="A person",
        description="With their level, track, manager and level history.",
        responses={200: serializers.PersonSerializer, **ONE_ERRORS},
        tags=["people"],
    ),
    put=extend_schema(
        summary="Update a person (HR)",
        description="Their whole record, as the people file has it; the email cannot "
        "change. A level change becomes a new entry of their level history; a step down "
        "needs `allow_step_down`.",
        request=serializers.PersonUpdateSerializer,
        responses={200: serializers.PersonWriteResultSerializer, **WRITE_ERRORS},
        tags=["people"],
    ),
)
class PersonDetail(ApiMixin, generics.RetrieveAPIView):
    serializer_class = serializers.PersonSerializer
    queryset = Employee.objects.none()  # for the schema; the object comes from access

    def get_object(self):
        person, _ = selectors.person_for(self.request.user, self.kwargs["pk"])
        return person

    def put(self, request, pk):
        employee = access.get_employee(request.user, pk)
        require_hr(request.user, "updates people")
        form = serializers.PersonUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = dict(form.validated_data["person"])
        email = record.get("email", "").strip()
        if email and email.lower() != employee.email.lower():
            raise exceptions.ValidationError(
                {"person.email": ["An email cannot change: it is how people are matched."]}
            )
        record["email"] = employee.email
        result = _upsert(request, [record], _options(form.validated_data), prefix="person")
        person, _ = selectors.person_for(request.user, pk)
        return Response(
            serializers.PersonWriteResultSerializer(_people_result(result, person)).data
        )


@extend_schema(
    summary="Add and update many people at once (HR)",
    description="Records as the people file has them, matched by email: all are written "
    "or none, with every problem listed by record (`records[3].level`). Sending the same "
    "records again changes nothing. Step-downs are refused unless `allow_step_down`.",
    request=serializers.BulkPeopleSerializer,
    responses={200: serializers.PeopleResultSerializer, **errors(400, 401, 403, 429)},
    examples=[
        OpenApiExample(
            "Two people",
            request_only=True,
            value={
                "records": [
                    {
                        "email": "mina@example.com",
                        "full_name": "Mina Manager",
                        "job_title": "Group PM",
                        "manager_email": "",
                        "ladder": "product-management",
                        "track": "management",
                        "level": "pm-manager",
                        "effective_date": "2026-01-01",
                    },
                    {
                        "email": "remi@example.com",
                        "full_name": "Remi Report",
                        "manager_email": "mina@example.com",
                        "ladder": "product-management",
                        "track": "ic",
                        "level": "pm",
                        "effective_date": "2026-01-01",
                    },
                ],
                "allow_step_down": False,
            },
        )
    ],
    tags=["people"],
)
class PeopleBulk(ApiMixin, APIView):
    def post(self, request):
        require_hr(request.user, "imports people")
        form = serializers.BulkPeopleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = _upsert(
            request, form.validated_data["records"], _options(form.validated_data), prefix="records"
        )
        data = _people_result(result)
        del data["person"]
        return Response(serializers.PeopleResultSerializer(data).data)


# Evidence -----------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="List evidence you may read",
        description="Evidence about everyone you may see: all of it for their managers "
        "and HR; for yourself, what is shared with you and what you wrote.",
        responses={200: serializers.EvidenceSerializer(many=True), **READ_ERRORS},
        tags=["evidence"],
    )
)
class EvidenceList(ApiMixin, generics.ListAPIView):
    serializer_class = serializers.EvidenceSerializer

    def get_queryset(self):
        return selectors.evidence_for(self.request.user)


@extend_schema_view(
    get=extend_schema(
        summary="An evidence item",
        responses={200: serializers.EvidenceSerializer, **ONE_ERRORS},
        tags=["evidence"],
    )
)
class EvidenceDetail(ApiMixin, generics.RetrieveAPIView):
    serializer_class = serializers.EvidenceSerializer
    queryset = Evidence.objects.none()  # for the schema; the object comes from access

    def get_object(self):
        return access.get_evidence(self.request.user, self.kwargs["pk"])


@extend_schema_view(
    get=extend_schema(
        summary="A person's evidence",
        responses={200: serializers.EvidenceSerializer(many=True), **ONE_ERRORS},
        tags=["evidence"],
    ),
    post=extend_schema(
        summary="Record evidence about a person",
        description="Their managers and HR record evidence about them (never about "
        "themselves); a person logs their own win, which waits for a manager to confirm "
        "it. The checks of the evidence form apply.",
        request=serializers.EvidenceCreateSerializer,
        responses={201: serializers.EvidenceSerializer, **WRITE_ERRORS},
        tags=["evidence"],
    ),
)
class PersonEvidence(ApiMixin, generics.ListAPIView):
    serializer_class = serializers.EvidenceSerializer

    def get_queryset(self):
        employee = access.get_employee(self.request.user, self.kwargs["pk"])
        return selectors.evidence_for(self.request.user, employee)

    def post(self, request, pk):
        user = request.user
        employee = access.get_employee(user, pk)
        own_win = access.can(user, access.LOG_WIN, employee)
        if not own_win:
            access.require(user, access.MANAGE, employee)
        form = serializers.EvidenceCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        expectation = (
            Expectation.objects.select_related("level", "category")
            .filter(pk=data["expectation"])
            .first()
        )
        if expectation is None:
            raise exceptions.ValidationError({"expectation": ["No such expectation."]})
        criteria = list(employee.ladder.promotion_criteria.filter(pk__in=data["criteria"]))
        if len(criteria) != len(set(data["criteria"])):
            raise exceptions.ValidationError(
                {"criteria": ["Those promotion criteria are not on this person's ladder."]}
            )
        fields = {
            "employee": employee,
            "expectation": expectation,
            "by": user,
            "observed_on": data["observed_on"],
            "description": data["description"],
            "link": data["link"],
            "criteria": criteria,
        }
        try:
            if own_win:
                item = evidence_services.log_win(**fields)
            else:
                item = evidence_services.record_evidence(
                    **fields, visibility=data["visibility"], kind=data["kind"]
                )
        except DjangoValidationError as error:
            raise validation_error(error) from None
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        item = selectors.evidence_for(user, employee).get(pk=item.pk)
        return Response(serializers.EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)


# Reviews ------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="List reviews you may read",
        description="Shared reviews of everyone you may see, and drafts you wrote.",
        parameters=[
            OpenApiParameter("person", OpenApiTypes.INT, description="Only this person's.")
        ],
        responses={200: serializers.ReviewSerializer(many=True), **errors(401, 404, 429)},
        tags=["reviews"],
    )
)
class ReviewList(ApiMixin, generics.ListAPIView):
    serializer_class = serializers.ReviewSerializer

    def get_queryset(self):
        user = self.request.user
        person = self.request.query_params.get("person")
        if person is None:
            return selectors.reviews_for(user)
        if not person.isdigit():
            raise exceptions.ValidationError({"person": ["A person's id, a number."]})
        return selectors.reviews_for(user, access.get_employee(user, int(person)))


@extend_schema_view(
    get=extend_schema(
        summary="A review with its ratings",
        responses={200: serializers.ReviewDetailSerializer, **ONE_ERRORS},
        tags=["reviews"],
    )
)
class ReviewDetail(ApiMixin, generics.RetrieveAPIView):
    serializer_class = serializers.ReviewDetailSerializer
    queryset = Review.objects.none()  # for the schema; the object comes from access

    def get_object(self):
        return access.get_review(self.request.user, self.kwargs["pk"])


@extend_schema(exclude=True)
class UnknownAddress(ApiMixin, APIView):
    """Any other address under /api/v1/: a 404 in the error shape, not an HTML page."""

    def _not_found(self, request, *args, **kwargs):
        raise exceptions.NotFound()

    get = post = put = patch = delete = options = _not_found

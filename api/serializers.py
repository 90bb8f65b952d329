"""What the API sends and accepts. Reads are plain views of the models, loaded by
`api.selectors`; writes are checked here for their shape only: the rules are the
services' (`api.services`)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments import peoplefile
from assessments.models import Employee, Evidence, LevelAssignment, Review, ReviewRating
from levels.models import Category, Expectation, Ladder, Level, PromotionCriterion, Track

from .models import AccessToken

# Ladders ------------------------------------------------------------------------------------


class LadderSerializer(serializers.ModelSerializer):
    """A ladder as the list shows it."""

    class Meta:
        model = Ladder
        fields = ["slug", "name", "description", "status"]


class CategorySerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = Category
        fields = ["key", "name", "description", "group", "active"]


class ExpectationSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category_key", help_text="The category's key.")

    class Meta:
        model = Expectation
        fields = ["id", "key", "category", "text", "examples", "proficiency"]


class LevelSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")
    expectations = ExpectationSerializer(
        many=True, source="expectation_rows", help_text="Its current expectations, in order."
    )

    class Meta:
        model = Level
        fields = [
            "key",
            "name",
            "short_name",
            "code",
            "grade",
            "summary",
            "next_step",
            "active",
            "expectations",
        ]


class TrackSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")
    levels = serializers.ListField(
        child=serializers.CharField(), source="level_keys", help_text="Its levels' keys, in order."
    )

    class Meta:
        model = Track
        fields = ["key", "name", "description", "active", "levels"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PromotionCriterion
        fields = ["id", "name", "description"]


class LadderDetailSerializer(LadderSerializer):
    """A ladder with its structure: categories, levels (most junior first) with their
    expectations, tracks, and the promotion criteria (whose ids evidence may be tagged
    with)."""

    categories = CategorySerializer(many=True, source="category_rows")
    levels = LevelSerializer(many=True, source="level_rows")
    tracks = TrackSerializer(many=True, source="track_rows")
    promotion_criteria = CriterionSerializer(
        many=True,
        source="criterion_rows",
        help_text="In order; their ids are what evidence's `criteria` takes.",
    )

    class Meta(LadderSerializer.Meta):
        fields = [
            *LadderSerializer.Meta.fields,
            "categories",
            "levels",
            "tracks",
            "promotion_criteria",
        ]


class LadderImportSerializer(serializers.Serializer):
    """What applying a ladder file did, or with `dry_run` would do."""

    slug = serializers.CharField()
    dry_run = serializers.BooleanField()
    created = serializers.BooleanField(help_text="Whether the file makes a new (draft) ladder.")
    summary = serializers.CharField(help_text="What changes, e.g. 'levels: 1 added'.")
    fingerprint = serializers.CharField(
        help_text="The ladder as it stood before: give it back as `expected` to apply this "
        "preview only if nothing changed meanwhile ('' for a new ladder)."
    )


# People -------------------------------------------------------------------------------------


class LevelHistorySerializer(serializers.ModelSerializer):
    level = serializers.CharField(source="level.key")
    level_name = serializers.CharField(source="level.name")
    track = serializers.CharField(source="track.key")

    class Meta:
        model = LevelAssignment
        fields = ["level", "level_name", "track", "effective_on", "rationale"]


class PersonSerializer(serializers.ModelSerializer):
    ladder = serializers.CharField(source="ladder.slug")
    track = serializers.CharField(source="track.key")
    level = serializers.CharField(source="level.key")
    level_name = serializers.CharField(source="level.name")
    manager_email = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active")
    level_history = LevelHistorySerializer(
        many=True, source="assignments", help_text="Newest first."
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "email",
            "full_name",
            "job_title",
            "ladder",
            "track",
            "level",
            "level_name",
            "manager_email",
            "active",
            "level_history",
        ]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_manager_email(self, person):
        return person.manager.email if person.manager_id else None


class PersonRecordSerializer(serializers.Serializer):
    """One person as the people file has them (see the README's people file): matched by
    email, created when new, updated otherwise. The import checks the values."""

    email = serializers.CharField(max_length=peoplefile.MAX_EMAIL)
    full_name = serializers.CharField(max_length=peoplefile.MAX_NAME)
    job_title = serializers.CharField(
        max_length=peoplefile.MAX_NAME, required=False, allow_blank=True, default=""
    )
    manager_email = serializers.CharField(
        max_length=peoplefile.MAX_EMAIL,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="Their manager's email: someone here already or in the same request.",
    )
    ladder = serializers.CharField(help_text="The ladder's slug.")
    track = serializers.CharField(help_text="A track's key on that ladder.")
    level = serializers.CharField(help_text="A level's key on that ladder.")
    effective_date = serializers.DateField(help_text="When a level change takes effect.")
    rationale = serializers.CharField(
        max_length=peoplefile.MAX_RATIONALE,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why their level changes, for their level history.",
    )


class PersonRecordUpdateSerializer(PersonRecordSerializer):
    """A person's record for PUT: the email may be left out, and cannot change."""

    email = serializers.CharField(max_length=peoplefile.MAX_EMAIL, required=False)


class WriteOptionsSerializer(serializers.Serializer):
    allow_step_down = serializers.BooleanField(
        default=False, help_text="Allow moving people to a lower level; refused otherwise."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Only say what would change; write nothing."
    )
    notify = serializers.BooleanField(
        default=False, help_text="Email each person whose level changes, and their manager."
    )
    invite = serializers.BooleanField(
        default=False, help_text="Email each new person a link to set their password."
    )


class PersonWriteSerializer(WriteOptionsSerializer):
    """One person to create (POST) or update (PUT), with the import's options."""

    person = PersonRecordSerializer()


class PersonUpdateSerializer(WriteOptionsSerializer):
    person = PersonRecordUpdateSerializer()


class BulkPeopleSerializer(WriteOptionsSerializer):
    """Many people at once, all or nothing."""

    records = PersonRecordSerializer(many=True, allow_empty=False, max_length=100_000)


class PeopleResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    invited = serializers.IntegerField()
    step_downs = serializers.ListField(
        child=serializers.EmailField(), help_text="With dry_run: who would step down."
    )


class PersonWriteResultSerializer(PeopleResultSerializer):
    person = PersonSerializer(allow_null=True, help_text="The person as now stored.")


# Evidence -----------------------------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="employee_id")
    expectation = serializers.IntegerField(source="expectation_id")
    level = serializers.CharField(source="level_name", help_text="As it read when recorded.")
    category = serializers.CharField(source="category_name")
    author = serializers.SerializerMethodField()
    criteria = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Evidence
        fields = [
            "id",
            "person",
            "expectation",
            "expectation_text",
            "level",
            "category",
            "author",
            "source",
            "kind",
            "visibility",
            "status",
            "observed_on",
            "description",
            "link",
            "criteria",
            "created_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, item):
        author = item.author
        if author is None:
            return None
        return author.get_full_name() or author.get_username()


class EvidenceCreateSerializer(serializers.Serializer):
    """Evidence about a person. For one's own win, `visibility` and `kind` are set for
    you (shared, showing the expectation) and it waits for a manager to confirm it."""

    expectation = serializers.IntegerField(help_text="The expectation's id (see the ladder).")
    observed_on = serializers.DateField()
    description = serializers.CharField(max_length=5000)
    link = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(
        choices=Evidence.Visibility.choices, default=Evidence.Visibility.SHARED
    )
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices, default=Evidence.Kind.SHOWS)
    criteria = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Ids of promotion criteria of the person's ladder it supports.",
    )


# Reviews ------------------------------------------------------------------------------------


class ReviewRatingSerializer(serializers.ModelSerializer):
    expectation = serializers.IntegerField(source="expectation_id")

    class Meta:
        model = ReviewRating
        fields = ["expectation", "expectation_text", "category_name", "rating", "comment"]


class ReviewSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="employee_id")
    target_level = serializers.CharField(source="target_level_name")
    author = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "person",
            "target_level",
            "author",
            "status",
            "readiness",
            "summary",
            "acknowledgement",
            "created_at",
            "shared_at",
            "acknowledged_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, review):
        author = review.author
        if author is None:
            return None
        return author.get_full_name() or author.get_username()


class ReviewDetailSerializer(ReviewSerializer):
    ratings = ReviewRatingSerializer(many=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "ratings"]


# The caller ---------------------------------------------------------------------------------


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.CharField()
    hr = serializers.BooleanField(help_text="Whether they are HR: everyone is visible to them.")
    person = PersonSerializer(allow_null=True, help_text="Their place on a ladder, if any.")


class TokenInfoSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessToken
        fields = ["name", "prefix", "created_at", "expires_on"]

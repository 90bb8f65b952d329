"""A basic admin for ladder data; HR's fuller admin builds on it."""

from django.contrib import admin

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


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


class TrackInline(admin.StackedInline):
    model = Track
    extra = 0
    show_change_link = True


class PromotionCriterionInline(admin.TabularInline):
    model = PromotionCriterion
    extra = 0


class PromotionBlockerInline(admin.TabularInline):
    model = PromotionBlocker
    extra = 0


class FAQEntryInline(admin.StackedInline):
    model = FAQEntry
    extra = 0


@admin.register(Ladder)
class LadderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [
        CategoryInline,
        TrackInline,
        PromotionCriterionInline,
        PromotionBlockerInline,
        FAQEntryInline,
    ]


class ExpectationInline(admin.TabularInline):
    model = Expectation
    extra = 0
    fields = ["category", "text", "position"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the categories of the level's own ladder.
        if db_field.name == "category" and request.resolver_match.kwargs.get("object_id"):
            level = Level.objects.filter(pk=request.resolver_match.kwargs["object_id"]).first()
            if level:
                kwargs["queryset"] = Category.objects.filter(ladder_id=level.ladder_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AspectValueInline(admin.TabularInline):
    model = AspectValue
    extra = 0


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "grade", "ladder", "position", "is_active"]
    list_filter = ["ladder", "is_active"]
    list_select_related = ["ladder"]
    search_fields = ["name", "short_name", "key", "code"]
    inlines = [ExpectationInline, AspectValueInline]


class TrackLevelInline(admin.TabularInline):
    model = TrackLevel
    extra = 0
    autocomplete_fields = ["level"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "ladder", "position"]
    list_filter = ["ladder"]
    list_select_related = ["ladder"]
    search_fields = ["name", "key"]
    inlines = [TrackLevelInline]


@admin.register(Aspect)
class AspectAdmin(admin.ModelAdmin):
    list_display = ["name", "ladder", "position"]
    list_filter = ["ladder"]
    list_select_related = ["ladder"]
    inlines = [AspectValueInline]


@admin.register(Expectation)
class ExpectationAdmin(admin.ModelAdmin):
    list_display = ["text", "level", "category"]
    list_filter = ["level__ladder", "category__name"]
    list_select_related = ["level", "category"]
    search_fields = ["text"]

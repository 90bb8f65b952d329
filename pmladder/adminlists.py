"""The admin's lists of many rows (evidence, level history, reviews): a page of such a list
costs the same few queries, each served by an index, however big the table grows.

- Ordering: `LargeListAdmin` sorts only by columns that an index keeps in order
  (`sortable_by`), ties broken by the id in the same direction, so one index read forwards
  or backwards serves either direction.
- Counting: `CheapCountPaginator` never counts a whole big table. With no filter and no
  search on PostgreSQL it takes the planner's estimate of the table's size ("about
  300,000"); otherwise it counts no further than `COUNT_CAP` rows ("more than 1,000",
  the first 1,000 then paged). The page says which (`templates/admin/pagination.html`
  and `search_form.html`, Django's own for every other list).
- Dates: `PeriodListFilter` offers recent periods and years computed from today, where
  `date_hierarchy` reads the table twice for the years and months it offers.
- Search: a person's name or email by its start (Django's `^field`), served by
  `UpperPatternIndex`; words of three characters or more within long texts, served by
  `TrigramIndex` on PostgreSQL. `LargeListAdmin` searches the people first and the rows
  of those people by their id, so PostgreSQL combines one index scan per field rather
  than reading every row to test a condition that spans two tables.

Django's lookups ignore case as `UPPER(column) LIKE UPPER(pattern)`, so both index classes
index `UPPER(column)`: only an index on that same expression can serve them.
"""

import datetime
import json
from functools import reduce
from operator import and_, or_

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.postgres.indexes import OpClass
from django.core.paginator import Paginator
from django.db import connections, models, router
from django.db.models import F, Lookup, Q, Subquery
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal

from pmladder.database import planned_for_their_values

# How far a list counts when it cannot ask for an estimate. Counting stops at the cap's
# match, so a search for a common word reads a few thousand rows rather than the table;
# past it, the page says "more than 1,000" and pages through the first thousand.
COUNT_CAP = 1_000

# The shortest word a list looks for within texts: a trigram index finds words of three
# characters or more; a shorter one would be looked for in every row of the table.
SHORTEST_WORD = 3


# Indexes ------------------------------------------------------------------------------


class _UpperIndex(models.Index):
    """An index on `UPPER(field)` with the operator class `opclass` (and the method
    `method`) on PostgreSQL; elsewhere, where neither exists, an ordinary index on
    `UPPER(field)`, so that the schema Django knows is the same on every database and a
    table rebuilt by SQLite keeps a valid index."""

    opclass = method = ""

    def __init__(self, field, *, name):
        self.field = field
        super().__init__(OpClass(Upper(field), name=self.opclass), name=name)

    def deconstruct(self):
        path, _, _ = super().deconstruct()
        return path, (self.field,), {"name": self.name}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            plain = models.Index(Upper(self.field), name=self.name)
            return plain.create_sql(model, schema_editor, using=using, **kwargs)
        using = f" USING {self.method}" if self.method else using
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class UpperPatternIndex(_UpperIndex):
    """A B-tree index on `UPPER(field)` with `text_pattern_ops` on PostgreSQL, which serves
    `field__istartswith` (`UPPER(field) LIKE 'ABC%'`) as a range scan whatever the
    database's collation."""

    opclass = "text_pattern_ops"


class TrigramIndex(_UpperIndex):
    """A GIN index of the trigrams of `UPPER(field)` on PostgreSQL (the `pg_trgm`
    extension), which serves `field__icontains` (`UPPER(field) LIKE '%ABC%'`) without
    reading every row."""

    opclass, method = "gin_trgm_ops", "gin"


# Counting -----------------------------------------------------------------------------


class CheapCountPaginator(Paginator):
    """A paginator whose count reads at most `COUNT_CAP` rows (see the module's
    docstring). `count_text` says how exact the count is."""

    cap = COUNT_CAP
    estimated = False  # the count is the planner's estimate of a whole table
    capped = False  # more rows than the cap match; the count is the cap

    @cached_property
    def count(self):
        queryset = self.object_list
        if not queryset.query.where and connections[queryset.db].vendor == "postgresql":
            estimate = _planner_rows(queryset)
            # An estimate can lag behind a table emptied since its last ANALYZE: trust it
            # only when the table certainly holds more rows than the cap.
            if estimate > self.cap and queryset.order_by()[self.cap : self.cap + 1].exists():
                self.estimated = True
                return estimate
        counted = queryset.order_by()[: self.cap + 1].count()
        if counted > self.cap:
            self.capped = True
            return self.cap
        return counted

    def page(self, number):
        """A page; past the first, its rows' ids are read alone first (from the index of
        the list's order) and only those rows are joined to their related rows, where
        PostgreSQL would otherwise join every row it skips."""
        page = super().page(number)
        if page.number > 1:
            page.object_list = self.object_list.filter(pk__in=page.object_list.values("pk"))
        return page

    @property
    def count_text(self):
        """The count in words: "123", "about 300,000" or "more than 1,000"."""
        count = self.count
        if self.estimated:
            return f"about {_two_figures(count):,}"
        if self.capped:
            return f"more than {self.cap:,}"
        return f"{count:,}"

    @property
    def count_note(self):
        """What a capped count means for paging, or nothing."""
        if self.capped:
            return f"the first {self.cap:,} are listed: search or filter to narrow them"
        return ""


def _planner_rows(queryset):
    """PostgreSQL's estimate of the rows of `queryset`, from its statistics and the table's
    current size: no row is read."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _two_figures(number):
    """`number` rounded to two significant figures: 299,874 → 300,000."""
    return round(number, 2 - len(str(number)))


# Filtering by date --------------------------------------------------------------------


class PeriodListFilter(admin.DateFieldListFilter):
    """A date field's recent periods and the last `YEARS` years, computed from today, with
    no query; each is a range of the field, which its index serves. For date fields."""

    YEARS = 3

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        today = timezone.localdate()
        since, until = self.lookup_kwarg_since, self.lookup_kwarg_until
        tomorrow = today + datetime.timedelta(days=1)
        links = [
            ("Any date", {}),
            ("Past 30 days", {since: today - datetime.timedelta(days=30), until: tomorrow}),
            ("Past 12 months", {since: _a_year_before(today), until: tomorrow}),
        ]
        first = today.year - self.YEARS + 1
        for year in range(today.year, first - 1, -1):
            start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
            links.append((str(year), {since: start, until: end}))
        links.append((f"Before {first}", {until: datetime.date(first, 1, 1)}))
        self.links = tuple(links)


def _a_year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# The list -----------------------------------------------------------------------------


class LargeListChangeList(ChangeList):
    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        # Django breaks ties by "-pk" whatever the direction of the sort; a tie broken in
        # the sort's own direction lets the index on (field, id) serve it read backwards.
        if (
            len(ordering) > 1
            and ordering[-1] == "-pk"
            and all(isinstance(key, str) and not key.startswith("-") for key in ordering[:-1])
        ):
            return [*ordering[:-1], "pk"]
        return ordering


class SearchPlannedForItsWords:
    """A ModelAdmin mixin: a searched list's queries are planned for the words searched
    (`pmladder.database.planned_for_their_values`), not from a plan kept for any word.
    The page is drawn inside, as its rows are read while it is drawn."""

    def changelist_view(self, request, extra_context=None):
        if not request.GET.get(SEARCH_VAR):
            return super().changelist_view(request, extra_context)
        with planned_for_their_values(router.db_for_read(self.model)):
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response


class LargeListAdmin(SearchPlannedForItsWords):
    """A ModelAdmin mixin for a list of many rows (see the module's docstring). Set
    `sortable_by` to the columns an index keeps in order, and `search_fields` in Django's
    syntax: fields through a relation (`^employee__full_name`) search the related rows
    first."""

    paginator = CheapCountPaginator
    list_per_page = 50  # half Django's 100: most of a page's time is drawing its rows
    show_full_result_count = False  # Django's second count, of the unfiltered table
    show_facets = admin.ShowFacets.NEVER  # facet counts read every row of the list

    def get_changelist(self, request, **kwargs):
        return LargeListChangeList

    def get_search_results(self, request, queryset, search_term):
        """Rows matching every word of `search_term`, each word in one of the search
        fields (as Django's search, but within texts only words of `SHORTEST_WORD`
        characters or more), or whose related person's name or email starts with the
        whole of it, so that a full name ("Maya Halcot") finds its person."""
        words = _search_words(search_term)
        if not words:
            return queryset, False
        local, related = self._search_lookups()
        db = queryset.db

        def matching(word, *, local_too=True):
            conditions = [
                Q((lookup, word))
                for lookup in local
                if local_too and (len(word) >= SHORTEST_WORD or not lookup.endswith("contains"))
            ]
            for relation, lookups in related.items():
                people = reduce(or_, (Q((lookup, word)) for lookup in lookups))
                conditions.append(_related_among(self.model, relation, people, db))
            return reduce(or_, conditions) if conditions else Q(pk__in=[])  # nothing

        found = reduce(and_, (matching(word) for word in words))
        if len(words) > 1 and related:
            found |= matching(" ".join(words), local_too=False)
        return queryset.filter(found), False

    def _search_lookups(self):
        """The search fields as lookups: ([lookups on the model], {relation: [lookups on
        the related model]})."""
        local, related = [], {}
        for name in self.search_fields:
            lookup = _search_lookup(name)
            relation, _, rest = lookup.partition("__")
            field = self.model._meta.get_field(relation)
            if field.many_to_one and "__" in rest:  # a field of the related model
                related.setdefault(relation, []).append(rest)
            else:
                local.append(lookup)
        return local, related


def _search_lookup(name):
    """The lookup of a search field in Django's syntax (`^` starts with, `=` is, else
    contains, all ignoring case)."""
    if name.startswith("^"):
        return f"{name[1:]}__istartswith"
    if name.startswith("="):
        return f"{name[1:]}__iexact"
    return f"{name}__icontains"


def _search_words(search_term):
    """The words of a search as Django's admin splits them: quoted phrases kept whole."""
    words = []
    for word in smart_split(search_term):
        if word[:1] in {'"', "'"} and len(word) > 1 and word[0] == word[-1]:
            word = unescape_string_literal(word)
        if word:
            words.append(word)
    return words


class _AmongIds(Lookup):
    """`column = ANY(ARRAY(subquery))`: on PostgreSQL the subquery runs once and its ids
    are looked up in the column's index, which combines with other indexes in one OR;
    `column IN (subquery)` inside an OR is instead tested row by row. Used as an
    expression, never registered on a field."""

    lookup_name = "among_ids"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def _related_among(model, relation, condition, db):
    """A condition on `model`: its `relation` (a foreign key) is one of the related rows
    matching `condition`."""
    field = model._meta.get_field(relation)
    related = field.related_model._default_manager.filter(condition).order_by().values("pk")
    if connections[db].vendor == "postgresql":
        return Q(_AmongIds(F(field.attname), Subquery(related)))
    return Q((f"{relation}__in", related))

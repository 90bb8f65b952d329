"""
Delete confirmation pages that cost the same however much a delete would take with it.

Django's admin lists every object a delete would remove, and every object that stops it
(a PROTECT or RESTRICT foreign key), each with its name and a link: it loads them all, and
naming one often costs a query of its own, so the page for a ladder with the records of a
thousand people behind it ran tens of thousands of queries. Here the same rules are
followed a kind of object (a model) at a time: each kind the delete reaches costs a count
and, when it has objects, a query for some of their keys and one for the first SHOWN of
them, whatever the data. The page gives each kind's count (exact up to COUNTED, "more
than" beyond) and those first objects; the summary gives the same counts.

Only what the page says, and whether the delete is refused (something stops it, or the
user may not delete some kind), comes from here: the delete itself is Django's, unchanged.
A kind that reaches itself again (a cascade cycle), a model with parents (multi-table
inheritance) or a generic relation is left to Django's own listing, which follows them.

`BoundedDeletes` is mixed into every model admin of the site by `PMLadderAdminSite.register`,
so an admin gets it without asking, including Django's own and those of other apps.
"""

from collections import defaultdict, deque
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib import admin
from django.contrib.admin.options import EMPTY_VALUE_STRING
from django.contrib.admin.utils import (
    display_for_value,
    get_deleted_objects,
    model_ngettext,
    quote,
)
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import CASCADE, PROTECT, RESTRICT, Q, QuerySet
from django.db.models.deletion import get_candidate_relations_to_delete
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

# Objects of each kind a page names; the rest are counted, exactly up to COUNTED, after
# which the page says "more than" that (counting every row of a big table is what is slow).
SHOWN = 20
COUNTED = 10_000
# Keys of a kind the delete takes are written into the queries for the kinds it leads to
# when there are at most this many (more go as a subquery): a database can tell from the
# values how many rows point at them, and find them by its index on the foreign key. A
# subquery's rows it guesses, and a wrong guess can read a whole table to find none.
LISTED = 1_000


class BoundedDeletes(admin.ModelAdmin):
    """A model admin whose delete page and "delete selected" action list a bounded number
    of objects of each kind, with counts (see the module's docstring).

    It is a ModelAdmin itself so that, placed after an admin class among the bases, it
    comes just before ModelAdmin in the method order: an admin's own
    `get_deleted_objects` still wins, and its `super()` reaches this one."""

    def get_deleted_objects(self, objs, request):
        return deleted_objects(objs, request, self.admin_site)


def with_bounded_deletes(admin_class):
    """`admin_class`, or a subclass of it with `BoundedDeletes` when it has not got it."""
    if issubclass(admin_class, BoundedDeletes):
        return admin_class
    return type(
        admin_class.__name__,
        (admin_class, BoundedDeletes),
        {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
    )


@dataclass
class Kind:
    """The objects of one model a delete takes, or that stop it: how many, and the first
    few of them."""

    model: type
    count: int
    first: list
    more: bool = False  # more than `count` (COUNTED) of them

    @property
    def amount(self):
        """How many, in words."""
        return f"more than {self.count:,}" if self.more else f"{self.count:,}"


def reach(objs, *, shown=SHOWN):
    """What deleting `objs` (a queryset, or a list of objects of one model) takes with it
    and what stops it, as Django's delete would find them: ([Kind], [Kind]), kinds with no
    objects left out, the deleted kind first; None for a shape this module does not follow.

    A kind costs a count and, when it has objects, a query for their keys and one for
    the objects shown."""
    model, roots = _roots(objs)
    plan = delete_plan(model)
    if plan is None:
        return None
    cascade, links, blockers = plan
    using = router.db_for_write(model)
    if isinstance(roots, list):  # the objects on the page already
        taken = [Kind(model, len(roots), roots[:shown])]
        reached = {model: [obj.pk for obj in roots]}
    else:
        first, keys = _kind(model, [Q(pk__in=roots.values("pk"))], using, shown)
        taken, reached = [first], {model: _keys_or(keys, roots)}
    # In order, so that each kind's rows are known before the kinds they lead to.
    for kind in cascade[1:]:
        ways = [_pointing(link, reached) for link in links[kind]]
        found, keys = _kind(kind, ways, using, shown)
        taken.append(found)
        rows = kind._base_manager.using(using).filter(reduce(or_, ways))
        reached[kind] = _keys_or(keys, rows.values("pk"))
    stopped = []
    for kind, pointing in blockers.items():
        ways = []
        for field, parent, rule in pointing:
            way = _pointing((field, parent), reached)
            if rule is RESTRICT and kind in reached:
                # Restricted objects may go when the same delete takes them anyway.
                way &= ~Q(pk__in=reached[kind])
            ways.append(way)
        stopped.append(_kind(kind, ways, using, shown)[0])
    return [kind for kind in taken if kind.count], [kind for kind in stopped if kind.count]


def deleted_objects(objs, request, admin_site, *, shown=SHOWN):
    """What Django's `get_deleted_objects` returns, in queries that do not grow with the
    data: (what the delete takes, {plural name: count}, names of the kinds the user may
    not delete, what stops the delete). The first and the last are nested lists for the
    `unordered_list` filters: for each kind, a line with its count, then its first `shown`
    objects (linked to their admin pages) and a line counting the rest."""
    if not isinstance(objs, QuerySet):
        objs = list(objs)
        if not objs:
            return [], {}, set(), []
    found = reach(objs, shown=shown)
    if found is None:
        return get_deleted_objects(objs, request, admin_site)
    taken, stopping = found
    # Django asks each object's admin; the kind's answer stands for its objects.
    perms_needed = {
        kind.model._meta.verbose_name
        for kind in [*taken, *stopping]
        if admin_site.is_registered(kind.model)
        and not admin_site.get_model_admin(kind.model).has_delete_permission(request)
    }
    model_count = {
        kind.model._meta.verbose_name_plural: kind.amount if kind.more else kind.count
        for kind in taken
    }
    return (
        _listed(taken, admin_site),
        model_count,
        perms_needed,
        _listed(stopping, admin_site),
    )


def _kind(model, ways, using, shown):
    """The objects of `model` meeting any of the conditions `ways`: counted up to COUNTED,
    the first `shown` loaded, and their keys when there are at most LISTED (else None):
    (Kind, keys). Three queries, the count stopping at COUNTED + 1 rows and the keys at
    LISTED + 1, in no order: sorting every match to find the first few is what would make
    it slow. The first shown are the first by key when there are at most LISTED."""
    rows = model._base_manager.using(using).filter(reduce(or_, ways)).order_by()
    count = rows[: COUNTED + 1].count()
    keys = _keys(rows) if count else []
    more = count > COUNTED
    first = _loaded(model._base_manager.using(using), sorted(keys)[:shown])
    found = Kind(model, min(count, COUNTED), first, more=more)
    return found, (keys if len(keys) <= LISTED else None)


def _keys(rows):
    """At most LISTED + 1 keys of `rows`, in no order. Read with a plain cursor: the ORM's
    cost for each row would make a thousand keys a slow part of the page."""
    query = rows.values_list("pk", flat=True)[: LISTED + 1].query
    try:
        sql, params = query.sql_with_params()
    except EmptyResultSet:  # pointing at an empty list of keys: nothing to ask
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [key for (key,) in cursor.fetchall()]


def _keys_or(keys, rows):
    """The keys as they are when known (LISTED), else the query finding them."""
    return rows if keys is None else sorted(keys)


def _listed(kinds, admin_site):
    """For each kind, a line with its count, then its first objects and a line counting
    the rest."""
    lines = []
    for kind in kinds:
        opts = kind.model._meta
        items = [_entry(obj, admin_site) for obj in kind.first]
        rest = kind.count - len(kind.first)
        if kind.more:
            items.append(f"…and more: {kind.amount} {opts.verbose_name_plural} in all.")
        elif rest:
            items.append(f"…and {rest:,} more {model_ngettext(opts, rest)}.")
        name = opts.verbose_name_plural if kind.more else model_ngettext(opts, kind.count)
        lines += [f"{capfirst(kind.amount)} {name}", items]
    return lines


def _roots(objs):
    """(model, the objects as a list or a queryset) of what is being deleted."""
    if isinstance(objs, QuerySet):
        model = objs.model
        # The list's queryset may carry annotations and an order: only its rows count.
        pks = objs.order_by().values("pk")
        return model, model._base_manager.using(router.db_for_write(model)).filter(pk__in=pks)
    objs = list(objs)
    return type(objs[0]), objs


def delete_plan(model):
    """The kinds a delete of `model` objects takes with it (CASCADE), `model` first and
    each kind after every kind that leads to it; the foreign keys that take each; and the
    kinds that can stop it: ([kind, ...], {kind: [(foreign key, kind it points at)]},
    {kind: [(foreign key, kind it points at, PROTECT or RESTRICT)]}). None for a shape
    this module does not follow (see the module's docstring).

    As on Django's page, a database-level cascade counts as a cascade, and SET_NULL,
    SET_DEFAULT, SET() and DO_NOTHING rows are neither listed nor in the way."""
    links = defaultdict(list)  # kind: [(foreign key, kind it cascades from)]
    blockers = defaultdict(list)
    seen, queue = {model}, deque([model])
    while queue:
        kind = queue.popleft()
        opts = kind._meta
        if opts.concrete_model._meta.parents or any(
            hasattr(field, "bulk_related_objects") for field in opts.private_fields
        ):
            return None
        for related in get_candidate_relations_to_delete(opts):
            field = related.field
            rule = field.remote_field.on_delete
            rule = getattr(rule, "forced_collector", None) or rule
            target = related.related_model
            if rule is CASCADE:
                links[target].append((field, kind))
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
            elif rule in (PROTECT, RESTRICT):
                blockers[target].append((field, kind, rule))
    order = _parents_first(model, links)
    if order is None:
        return None
    return order, dict(links), dict(blockers)


def _parents_first(model, links):
    """The kinds in `links` and `model`, each after every kind leading to it; None when a
    kind leads back to itself."""
    waiting = {kind: {parent for _, parent in parents} for kind, parents in links.items()}
    if model in waiting:
        return None  # the delete reaches its own kind again
    order, ready = [], deque([model])
    while ready:
        kind = ready.popleft()
        order.append(kind)
        for child, parents in waiting.items():
            if kind in parents:
                parents.discard(kind)
                if not parents and child not in order and child not in ready:
                    ready.append(child)
    if any(waiting.values()):
        return None
    return order


def _loaded(rows, pks):
    """The objects of `pks`, with the objects their required foreign keys point at, which
    names usually reach for (an expectation's level, evidence's person), so naming them
    costs no query. A name reaching further (an endorsement is named by its nomination's
    person) costs a query an object shown, at most SHOWN; none of the kinds the admin's
    deletes reach is named so. The keys are picked first, on their own: asked for in one
    query with the joins, some databases join every matching row before keeping a few."""
    if not pks:
        return []
    rows = rows.filter(pk__in=pks).order_by("pk")
    links = [field.name for field in _required_links(rows.model)]
    # With no names, select_related() would follow every required key, at any depth.
    return list(rows.select_related(*links) if links else rows)


def _required_links(model):
    return [
        field
        for field in model._meta.concrete_fields
        if field.is_relation and (field.many_to_one or field.one_to_one) and not field.null
    ]


def _pointing(link, reached):
    """The condition for rows pointing, through `link` (a foreign key and the kind it
    points at), at a row `reached` holds."""
    field, parent = link
    return Q(**{f"{field.name}__in": reached[parent]})


def _entry(obj, admin_site):
    """One object as Django's page names it: its kind and name, linked to its admin page
    when it has one."""
    opts = obj._meta
    plain = f"{capfirst(opts.verbose_name)}: {obj}"
    if not admin_site.is_registered(obj.__class__):
        return plain
    try:
        url = reverse(
            f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]
        )
    except NoReverseMatch:
        return plain
    return format_html(
        '{}: <a href="{}">{}</a>',
        capfirst(opts.verbose_name),
        url,
        display_for_value(str(obj), EMPTY_VALUE_STRING),
    )

"""The lists of a person's page and the team page drawn in Python (`placement_items`,
`change_items`, `evidence_items`, `pending_win_items`): the same markup the template loops
drew, for every kind of item, escaped."""

# ruff: noqa: E501 (the template loops are kept as they were, long lines and all)

import datetime
import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from assessments.readiness import ExpectationReadiness
from assessments.templatetags.people import change_items, placement_items

# The template loops these tags replace, as they were.
PLACEMENT_LOOP = Template(
    """{% load people ladder_pages richtext %}{% for expectation in expectations %}
{% with item=readiness.by_expectation|get_item:expectation.pk %}
<li>{{ expectation.text|rich_inline }}{% expectation_extras expectation %}
<div class="coverage">{% if item.count %}<span class="badge text-bg-success">{{ item.count }} piece{{ item.count|pluralize }} of evidence</span> <span class="text-body-secondary">latest {{ item.latest|date:"j M Y" }}</span>{% elif item.covered %}<span class="badge text-bg-success">Shown in the latest review</span>{% else %}<span class="badge text-bg-light border">No evidence yet</span>{% endif %}{% if item.rating_label %} <span class="badge rating-{{ item.rating }}">{{ item.rating_label }}</span>{% endif %}</div>
{% if own or can_manage %}<div class="expectation-actions"><a class="btn btn-outline-primary btn-sm py-0 d-print-none" href="{{ new_evidence }}?expectation={{ expectation.pk }}">{% if own %}Log a win for this{% else %}Record evidence{% endif %}<span class="visually-hidden">: {{ expectation.text|plain|truncatewords:8 }}</span></a></div>{% endif %}
</li>
{% endwith %}{% endfor %}"""
)
CHANGES_LOOP = Template(
    """{% load richtext %}{% for item in items %}{% if item.status != "same" %}
<li>
{% if item.status == "new" %}<span class="badge badge-new">New</span>{% else %}<span class="badge badge-changed">Changed</span>{% endif %}
{{ item.text|rich_inline }}{% if item.was %}<div class="text-body-secondary">was: {{ item.was|rich_inline }}</div>{% endif %}
{% with measured=item.readiness %}{% if measured %}
<div class="expectation-actions">
{% if measured.count %}<span class="badge text-bg-success">Shown with evidence</span> <span class="text-body-secondary">{{ measured.count }} piece{{ measured.count|pluralize }}, latest {{ measured.latest|date:"j M Y" }}</span>{% elif measured.covered %}<span class="badge text-bg-success">Shown in the latest review</span>{% else %}<span class="badge text-bg-light border">Not yet</span>{% endif %}
{% if own or can_manage %}<a class="btn btn-outline-primary btn-sm py-0 d-print-none" href="{{ new_evidence }}?expectation={{ measured.expectation.pk }}">{% if own %}Log a win for this{% else %}Record evidence{% endif %}<span class="visually-hidden">: {{ measured.expectation.text|plain|truncatewords:8 }}</span></a>{% endif %}
</div>
{% endif %}{% endwith %}
</li>
{% endif %}{% endfor %}"""
)

# The buttons that decide a pending win, as `_win_decision.html` had them.
WIN_DECISION = """<form method="post" action="{% url 'assessments:evidence_confirm' item.pk %}">
  {% csrf_token %}<input type="hidden" name="next" value="{{ next|default:'' }}">
  <button type="submit" class="btn btn-sm btn-success">Confirm</button>
</form>
<details class="decline">
  <summary class="btn btn-sm btn-outline-danger">Decline…</summary>
  <form method="post" action="{% url 'assessments:evidence_decline' item.pk %}" class="mt-2">
    {% csrf_token %}<input type="hidden" name="next" value="{{ next|default:'' }}">
    <label class="form-label small" for="reason-{{ item.pk }}">Why (they will see this)</label>
    <textarea class="form-control form-control-sm mb-2" id="reason-{{ item.pk }}" name="reason" rows="2" required maxlength="1000"></textarea>
    <button type="submit" class="btn btn-sm btn-danger">Decline win</button>
  </form>
</details>"""
PENDING_LOOP = Template(
    """{% load richtext %}{% for item in pending_wins %}
      <li class="mb-3">
        <div><a href="{{ item.employee.get_absolute_url }}">{{ item.employee.full_name }}</a> · {{ item.observed_on|date:"j M Y" }} · <span class="small text-body-secondary">{{ item.expectation_text|rich_inline }} ({{ item.level_name }})</span></div>
        <p class="mb-1">{{ item.description|linebreaksbr }}</p>
        <div class="d-flex flex-wrap gap-2">{% with next="team" %}"""
    + WIN_DECISION
    + """{% endwith %}</div>
      </li>
      {% endfor %}"""
)
EVIDENCE_LOOP = Template(
    """{% load richtext %}
{% for item in items %}
<li class="evidence-item mb-3">
  <div class="d-flex flex-wrap align-items-baseline gap-2">
    <strong>{{ item.observed_on|date:"j M Y" }}</strong>
    {% if item.source == "self" %}<span class="badge text-bg-info">Self-logged</span>{% endif %}
    {% if item.status == "pending" %}<span class="badge text-bg-warning">Waiting for confirmation</span>{% elif item.status == "declined" %}<span class="badge text-bg-danger">Declined</span>{% endif %}
    {% if item.kind == "growth" %}<span class="badge bg-warning-subtle text-warning-emphasis border border-warning-subtle">Growth note</span>{% endif %}
    {% if item.visibility == "private" %}<span class="badge text-bg-secondary">Private to managers and HR</span>{% if item.kind == "shows" and item.status == "confirmed" %} <span class="small text-body-secondary">not counted in readiness</span>{% endif %}{% endif %}
    <span class="small text-body-secondary">{{ item.expectation_text|rich_inline }} · {{ item.level_name }}</span>
  </div>
  <p class="mb-1">{{ item.description|linebreaksbr }}</p>
  <div class="small text-body-secondary">
    {% if item.link %}<a href="{{ item.link }}" rel="noopener noreferrer">Link</a> · {% endif %}
    {% for criterion in item.criteria.all %}{% if forloop.first %}Supports {% endif %}{{ criterion.name }}{% if not forloop.last %}, {% endif %}{% if forloop.last %} · {% endif %}{% endfor %}
    by {% if item.author %}{{ item.author.get_full_name|default:item.author.get_username }}{% else %}someone who left{% endif %}
    {% if item.status == "declined" and item.decline_reason %}<div class="text-danger-emphasis">Declined: {{ item.decline_reason }}</div>{% endif %}
  </div>
  <div class="d-flex flex-wrap gap-2 mt-1 d-print-none">
    {% if item.author_id == user.pk %}
    <a class="btn btn-sm btn-outline-secondary" href="{% url 'assessments:evidence_edit' item.pk %}">Edit</a>
    <a class="btn btn-sm btn-outline-danger" href="{% url 'assessments:evidence_delete' item.pk %}">Delete</a>
    {% endif %}
    {% if can_manage and item.status == "pending" %}
    """
    + WIN_DECISION
    + """
    {% endif %}
  </div>
</li>
{% endfor %}"""
)


def _tidy(html):
    """The markup without the whitespace around its tags (the template's indentation)."""
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


def _expectation(pk, text, **extra):
    fields = {"proficiency": "", "examples": [], "links": [], **extra}
    return SimpleNamespace(pk=pk, text=text, **fields)


class _Readiness:
    def __init__(self, items):
        self.items = items

    def by_expectation(self):
        return {item.expectation.pk: item for item in self.items}


EXPECTATIONS = [
    _expectation(1, "Owns the **roadmap** for <their> area, end to end and beyond it"),
    _expectation(
        2,
        "Writes specs",
        proficiency="Advanced",
        examples=["A spec *with* a why"],
        links=[{"url": "https://example.com/spec", "title": "A <good> spec"}],
    ),
    _expectation(3, "Runs discovery"),
    _expectation(4, 'Says "no" & means it'),
]
READINESS = _Readiness(
    [
        ExpectationReadiness(EXPECTATIONS[0], count=1, latest=datetime.date(2026, 3, 4)),
        ExpectationReadiness(
            EXPECTATIONS[1],
            count=3,
            latest=datetime.date(2026, 11, 30),
            rating="exceeds",
            rating_label="Exceeds <b>",
        ),
        ExpectationReadiness(EXPECTATIONS[2], rating="meets", rating_label="Meets"),
    ]
)


@pytest.mark.parametrize(("own", "can_manage"), [(True, False), (False, True), (False, False)])
def test_placement_items_draw_what_the_template_drew(own, can_manage):
    context = {"new_evidence": "/people/7/evidence/new/?a=1&b=2", "own": own}
    context["can_manage"] = can_manage

    drawn = placement_items(EXPECTATIONS, READINESS, **context)
    looped = PLACEMENT_LOOP.render(
        Context({"expectations": EXPECTATIONS, "readiness": READINESS, **context})
    )

    assert _tidy(drawn) == _tidy(looped)
    assert "&lt;their&gt;" in drawn
    assert "Exceeds &lt;b&gt;" in drawn
    assert ("Log a win for this" in drawn) is own
    assert ("Record evidence" in drawn) is (can_manage and not own)
    assert drawn.count("No evidence yet") == 1  # the fourth, with nothing


def test_placement_items_without_readiness_show_nothing_yet():
    drawn = placement_items(EXPECTATIONS[:2], None)

    assert drawn.count("No evidence yet") == 2
    assert "expectation-actions" not in drawn


@pytest.mark.parametrize(("own", "can_manage"), [(True, False), (False, True), (False, False)])
def test_change_items_draw_what_the_template_drew(own, can_manage):
    measured = READINESS.items
    items = [
        SimpleNamespace(status="same", text="Unchanged", was="", readiness=None),
        SimpleNamespace(status="new", text="Leads <pricing>", was="", readiness=measured[0]),
        SimpleNamespace(
            status="changed", text="Writes *great* specs", was="Writes specs", readiness=measured[1]
        ),
        SimpleNamespace(status="changed", text="Runs discovery", was="", readiness=measured[2]),
        SimpleNamespace(
            status="new",
            text="Coaches",
            was="",
            readiness=ExpectationReadiness(EXPECTATIONS[3]),
        ),
        SimpleNamespace(status="new", text="Not measured", was="", readiness=None),
    ]
    context = {"new_evidence": "/people/7/evidence/new/", "own": own, "can_manage": can_manage}

    drawn = change_items(items, **context)
    looped = CHANGES_LOOP.render(Context({"items": items, **context}))

    assert _tidy(drawn) == _tidy(looped)
    assert "Unchanged" not in drawn
    assert "Leads &lt;pricing&gt;" in drawn
    assert drawn.count("<li>") == 5


class _Criteria(list):
    def all(self):
        return self


def _author(pk, first="", last="", username="someone"):
    return SimpleNamespace(
        pk=pk,
        get_full_name=lambda: f"{first} {last}".strip(),
        get_username=lambda: username,
    )


def _evidence(pk, **fields):
    author = fields.pop("author", _author(2, "Mina", "Manager"))
    values = {
        "observed_on": datetime.date(2026, 5, 6),
        "source": "manager",
        "status": "confirmed",
        "kind": "shows",
        "visibility": "shared",
        "expectation_text": "Owns the **roadmap**",
        "level_name": "PM <2>",
        "description": "Ran the <launch>\nand the retro",
        "link": "",
        "criteria": _Criteria(),
        "decline_reason": "",
        "author": author,
        "author_id": author.pk if author else None,
        **fields,
    }
    return SimpleNamespace(pk=pk, **values)


EVIDENCE = [
    _evidence(1),
    _evidence(
        2,
        source="self",
        status="pending",
        author=_author(7, username="remi"),
        link="https://example.com/doc?a=1&b=2",
        criteria=_Criteria(
            [SimpleNamespace(name="Impact"), SimpleNamespace(name="Scope & <reach>")]
        ),
    ),
    _evidence(3, source="self", status="declined", decline_reason="Not <yet>", author=None),
    _evidence(4, kind="growth", visibility="private"),
    _evidence(5, visibility="private"),
    _evidence(6, visibility="private", status="pending", source="self"),
]


@pytest.mark.parametrize(("viewer", "can_manage"), [(7, False), (2, True), (99, False)])
def test_evidence_items_draw_what_the_template_drew(viewer, can_manage):
    context = {
        "items": EVIDENCE,
        "user": SimpleNamespace(pk=viewer),
        "can_manage": can_manage,
        "csrf_token": "a-token",
    }

    drawn = Template("{% load people %}{% evidence_items items %}").render(Context(context))
    looped = EVIDENCE_LOOP.render(Context(context))

    assert _tidy(drawn) == _tidy(looped)
    assert drawn.count('class="evidence-item') == len(EVIDENCE)
    assert "Ran the &lt;launch&gt;<br>and the retro" in drawn
    assert "Scope &amp; &lt;reach&gt;" in drawn
    assert "by someone who left" in drawn
    assert drawn.count(">Edit</a>") == {7: 1, 2: 4, 99: 0}[viewer]
    assert ("Decline win" in drawn) is can_manage
    assert ("a-token" in drawn) is can_manage


def test_the_team_pages_pending_wins_draw_what_the_template_drew():
    person = SimpleNamespace(full_name="Ana <Lovelace>", get_absolute_url=lambda: "/people/5/")
    wins = [
        SimpleNamespace(employee=person, **vars(item))
        for item in EVIDENCE
        if item.status == "pending"
    ]
    context = {"pending_wins": wins, "csrf_token": "a-token"}

    drawn = Template('{% load people %}{% pending_win_items pending_wins "team" %}').render(
        Context(context)
    )
    looped = PENDING_LOOP.render(Context(context))

    assert _tidy(drawn) == _tidy(looped)
    assert drawn.count('<li class="mb-3">') == len(wins) == 2
    assert "Ana &lt;Lovelace&gt;" in drawn
    assert drawn.count('name="next" value="team"') == 2 * len(wins)
    assert drawn.count('value="a-token"') == 2 * len(wins)
    assert 'action="/evidence/2/confirm/"' in drawn


TEAM_LOOP = Template(
    """{% load people %}{% for person in page %}
      <tr>
        <th scope="row"><a href="{{ person.get_absolute_url }}">{{ person.full_name }}</a></th>
        <td class="d-none d-md-table-cell small">{{ person.job_title }}</td>
        <td data-label="Level"><span class="text-nowrap">{{ person.level.short_name }}</span>{% if person.level.code %} <span class="text-body-secondary small">{{ person.level.code }}</span>{% endif %}</td>
        <td class="d-none d-sm-table-cell">{{ person.track.name }}</td>
        <td class="small" data-label="In level">{% if person.since %}<span class="text-nowrap" title="since {{ person.since|date:'j M Y' }}">{{ person.since|time_in_level }}</span>{% else %}—{% endif %}</td>
        <td class="small coverage-cell" data-label="This level">{% if person.current_total %}<span class="text-nowrap">{{ person.current_shown }} of {{ person.current_total }} ({{ person.current_percent }}%)</span><progress class="mini-bar" max="{{ person.current_total }}" value="{{ person.current_shown }}" aria-hidden="true"></progress>{% else %}<span class="text-body-secondary">No expectations</span>{% endif %}</td>
        <td class="small coverage-cell" data-label="Next level">{% if person.next_level %}<span class="badge readiness-{{ person.badge.0 }}" title="{{ person.rule.text }}">{{ person.badge.1 }}</span> <span class="text-nowrap">{{ person.next_level.short_name }}</span><span class="d-block text-nowrap">{{ person.next_shown }} of {{ person.next_total }} ({{ person.next_percent }}%)</span><progress class="mini-bar" max="{{ person.next_total|default:1 }}" value="{{ person.next_shown }}" aria-hidden="true"></progress>{% else %}<span class="text-body-secondary">Top of track</span>{% endif %}</td>
        {% if everyone %}<td class="d-sm-none d-lg-table-cell small" data-label="Manager">{{ person.manager.full_name|default:"—" }}</td>{% endif %}
      </tr>
      {% endfor %}"""
)


def _row(pk, **fields):
    values = {
        "full_name": f"Person <{pk}>",
        "get_absolute_url": lambda: f"/people/{pk}/",
        "job_title": "PM & co",
        "level": SimpleNamespace(short_name="Senior PM", code="P3"),
        "track": SimpleNamespace(name="Individual <Contributor>"),
        "since": datetime.date(2024, 2, 29),
        "current_total": 12,
        "current_shown": 7,
        "current_percent": 58,
        "next_level": SimpleNamespace(short_name="Staff <PM>"),
        "badge": ("close", "Getting close"),
        "rule": SimpleNamespace(text='At least 80% "shown" over 6 months'),
        "next_total": 20,
        "next_shown": 11,
        "next_percent": 55,
        "manager": SimpleNamespace(full_name="Ana O'Neil"),
    }
    return SimpleNamespace(pk=pk, **{**values, **fields})


TEAM = [
    _row(1),
    _row(2, level=SimpleNamespace(short_name="APM", code=""), since=None, manager=None),
    _row(3, current_total=0, current_shown=0, current_percent=0, next_level=None),
    _row(4, next_total=0, next_shown=0, next_percent=0, badge=("building", "Building")),
]


@pytest.mark.parametrize("everyone", [True, False])
def test_the_team_rows_draw_what_the_template_drew(everyone):
    context = Context({"page": TEAM, "everyone": everyone})

    drawn = Template("{% load people %}{% team_rows page everyone %}").render(context)
    looped = TEAM_LOOP.render(context)

    assert _tidy(drawn) == _tidy(looped)
    assert drawn.count("<tr>") == len(TEAM)
    assert ("Ana O&#x27;Neil" in drawn) is everyone
    assert 'title="At least 80% &quot;shown&quot; over 6 months"' in drawn
    assert "Top of track" in drawn
    assert "No expectations" in drawn
    assert 'max="1"' in drawn  # no expectations at the next level: a bar of one

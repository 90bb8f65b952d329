"""How time in level reads."""

import datetime

import pytest

from assessments.templatetags.people import time_in_level

TODAY = datetime.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (TODAY, "today"),
        (TODAY + datetime.timedelta(days=1), "today"),
        (datetime.date(2026, 11, 25), "1 day"),
        (datetime.date(2026, 11, 13), "13 days"),
        (datetime.date(2026, 11, 12), "2 weeks"),
        (datetime.date(2026, 9, 27), "8 weeks"),
        (datetime.date(2026, 8, 26), "3 months"),
        (datetime.date(2026, 8, 27), "2 months"),
        (datetime.date(2025, 11, 26), "1 year"),
        (datetime.date(2025, 9, 1), "1 year, 2 months"),
        (datetime.date(2022, 10, 26), "4 years, 1 month"),
        (None, ""),
    ],
)
def test_time_in_level(since, expected):
    assert time_in_level(since, TODAY) == expected

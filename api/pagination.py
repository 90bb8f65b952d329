"""Every list of the API is paged by cursor, in a stable order (by id)."""

import re

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")
# The largest id a position may name (a signed 64-bit integer, the widest id column).
MAX_POSITION = 2**63 - 1


class IdCursorPagination(CursorPagination):
    """Pages of `page_size` (default 50, at most 200), oldest id first; follow `next`."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        """DRF's cursor, whose position (an id here) must also be a whole number in the
        ids' range: any other cursor is refused as DRF refuses an unreadable one (404),
        never a server error."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not WHOLE_NUMBER.fullmatch(position) or abs(int(position)) > MAX_POSITION:
                raise NotFound(self.invalid_cursor_message)
        return cursor

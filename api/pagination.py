"""Every list of the API is paged by cursor, in a stable order (by id)."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages of `page_size` (default 50, at most 200), oldest id first; follow `next`."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

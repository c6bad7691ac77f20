"""The API's one pagination: `?limit=&offset=`, 50 rows by default and never more than 200 in one answer; and the
staff lists' pager. Both count with a bound.

Without `max_limit`, `?limit=100000` returned every row and a limit past 2**63 reached the database as a bigint it
refuses. A larger limit is cut to the maximum (the answer's `next` link leads on); a limit or offset that is not a
whole number is ignored, as DRF does.

A bounded count (issue 13: lists must not count the whole table per request): the API's `count` is exact while
fewer than `COUNT_LIMIT` (10,000) rows follow the page's offset, and otherwise `offset + COUNT_LIMIT`, a lower bound
(the database reads at most that many rows: `SELECT COUNT(*) FROM (... LIMIT n)`). The answer keeps its shape
(`count`, `next`, `previous`, `results`) and `limit`/`offset` mean what they meant; `next` is there whenever more
rows follow, so a client that walks `next` sees every row. The staff pager counts up to `STAFF_COUNT_LIMIT` rows
(40 pages of 25) and says "of 40 or more" past it: a nurse narrows a search rather than paging further.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
COUNT_LIMIT = 10_000
STAFF_COUNT_LIMIT = 1_000
MAX_OFFSET = 2**31  # past any table of this product; keeps offset + bound inside a 64-bit integer


def bounded_count(queryset: Any, bound: int) -> int:
    """The number of rows of `queryset`, counted up to `bound` (a list is measured as it is)."""
    if isinstance(queryset, QuerySet):
        return queryset.order_by()[:bound].count()
    return min(len(queryset), bound)


class Pagination(LimitOffsetPagination):
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        # get_count runs before DRF reads the offset; an absurd offset must not overflow the database's integers.
        self._bound = min(self.get_offset(request), MAX_OFFSET) + COUNT_LIMIT
        return super().paginate_queryset(queryset, request, view)

    def get_count(self, queryset: Any) -> int:
        return bounded_count(queryset, getattr(self, "_bound", COUNT_LIMIT))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = (
            f"The number of rows, exact while fewer than {COUNT_LIMIT:,} follow `offset`; otherwise "
            f"`offset` + {COUNT_LIMIT:,} (at least that many): follow `next` for the rest."
        )
        return answer

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = f"Number of results to return per page (at most {MAX_LIMIT})."
        return parameters


class BoundedPaginator(Paginator[Any]):
    """Django's Paginator counting at most `bound` rows; `counted_all` says whether the count is the whole list."""

    def __init__(self, object_list: Any, per_page: int, *, bound: int | None = None, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.bound = STAFF_COUNT_LIMIT if bound is None else bound

    @cached_property
    def _counted(self) -> int:
        return bounded_count(self.object_list, self.bound + 1)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.bound)

    @property
    def counted_all(self) -> bool:
        return self._counted <= self.bound

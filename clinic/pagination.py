"""The API's one pagination: `?limit=&offset=`, 50 rows by default and never more than 200 in one answer.

Without `max_limit`, `?limit=100000` returned every row and a limit past 2**63 reached the database as a bigint it
refuses. A larger limit is cut to the maximum (the answer's `next` link leads on); a limit or offset that is not a
whole number is ignored, as DRF does.
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Pagination(LimitOffsetPagination):
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = f"Number of results to return per page (at most {MAX_LIMIT})."
        return parameters

"""The path and query parameters several routes share, with their bounds and descriptions."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1-100).")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="next_cursor of the previous page.")
]
# The staff queues' page parameters, documented by their routes.
QueueLimit = Annotated[int, Query(ge=1, le=100)]
QueueCursor = Annotated[str | None, Query(max_length=512)]
OrderIdPath = Annotated[str, Path(max_length=64)]
ClaimIdPath = Annotated[str, Path(max_length=64)]
ProductIdPath = Annotated[str, Path(max_length=64)]

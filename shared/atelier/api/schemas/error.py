"""The one error body every route answers with: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable UPPER_SNAKE code to branch on.")
    message: str = Field(description="What went wrong and what to do, for a person.")
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorDetail

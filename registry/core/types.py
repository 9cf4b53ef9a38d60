"""Typed column aliases shared by the models (warehouse-style `Annotated` types)."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import Integer, Text
from sqlalchemy.orm import mapped_column

intpk = Annotated[int, mapped_column(Integer, primary_key=True, comment="Internal row id (use the public key to refer to a record).")]
text = Annotated[str, mapped_column(Text)]

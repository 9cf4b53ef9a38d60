"""Which cases an export takes (the command's filters), as a plain value.

registry.cases.query turns it into SQL over the model tables; the fast path
for published files (registry/outputs/export/published.py) takes a Selection
without importing SQLAlchemy and the models.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    drug: str | None = None
    indication: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    case_keys: tuple[str, ...] = ()
    include_synthetic: bool = False

    def describe(self) -> str:
        parts = []
        if self.drug:
            parts.append(f"suspect drug {self.drug!r}")
        if self.indication:
            parts.append(f"indication containing {self.indication!r}")
        if self.year_from is not None:
            parts.append(f"primary report from {self.year_from}")
        if self.year_to is not None:
            parts.append(f"primary report up to {self.year_to}")
        if self.case_keys:
            parts.append("cases " + ", ".join(self.case_keys))
        parts.append("synthetic cases included" if self.include_synthetic else "synthetic cases left out")
        return "; ".join(parts)

    @property
    def filtered(self) -> bool:
        return bool(self.drug or self.indication or self.year_from is not None or self.year_to is not None or self.case_keys)

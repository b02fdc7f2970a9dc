"""Job records and totals in the ``history`` namespace.

A job is the record keyed by its id, Moonraker's six uppercase hex digits
(``"00002A"``), holding the job as the API shows it minus ``exists``. Totals
are the ``job_totals`` record: rows ``{provider, field, maximum, total}`` as
Moonraker's ``job_totals`` table has them (and as an import brings them).
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from moontwist.database import Namespace

TOTALS_KEY = "job_totals"
PROVIDER = "history"
SUMS = ("total_jobs", "total_time", "total_print_time", "total_filament_used")
MAXIMA = ("longest_job", "longest_print")


def format_id(number: int) -> str:
    return f"{number:06X}"


def parse_id(uid: Any) -> int | None:
    """A job id from the API (hex text); None when it is not one."""
    try:
        number = int(str(uid), 16)
    except ValueError:
        return None
    return number if number >= 0 else None


def empty_totals() -> dict[str, float | int]:
    return {"total_jobs": 0, "total_time": 0.0, "total_print_time": 0.0, "total_filament_used": 0.0,
            "longest_job": 0.0, "longest_print": 0.0}


def add_to_totals(totals: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """The totals with one finished job counted."""
    return {
        "total_jobs": totals["total_jobs"] + 1,
        "total_time": totals["total_time"] + job["total_duration"],
        "total_print_time": totals["total_print_time"] + job["print_duration"],
        "total_filament_used": totals["total_filament_used"] + job["filament_used"],
        "longest_job": max(totals["longest_job"], job["total_duration"]),
        "longest_print": max(totals["longest_print"], job["print_duration"]),
    }


class HistoryRecords:
    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace

    def job_ids(self) -> list[str]:
        """Every job id, oldest first."""
        numbered = [(parse_id(key), key) for key in self.namespace.keys() if key != TOTALS_KEY]
        return [key for number, key in sorted((n, k) for n, k in numbered if n is not None)]

    def next_id(self) -> str:
        ids = self.job_ids()
        return format_id(int(ids[-1], 16) + 1 if ids else 1)

    def get(self, job_id: str) -> dict[str, Any] | None:
        job = self.namespace.get(job_id, None)
        return job if isinstance(job, dict) else None

    def save(self, job: dict[str, Any]) -> "Deferred[None]":
        return self.namespace.insert(job["job_id"], job)

    def delete(self, job_ids: list[str]) -> "Deferred[dict[str, Any]]":
        return self.namespace.delete_many(job_ids)

    def totals(self) -> dict[str, Any]:
        totals = empty_totals()
        rows = self.namespace.get(TOTALS_KEY, [])
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or row.get("provider", PROVIDER) != PROVIDER:
                continue
            field = row.get("field")
            value = row.get("maximum" if field in MAXIMA else "total")
            if field in totals and isinstance(value, (int, float)):
                totals[field] = value
        return totals

    def auxiliary_totals(self) -> list[dict[str, Any]]:
        """The stored rows of other providers (sensors' history fields)."""
        rows = self.namespace.get(TOTALS_KEY, [])
        return [dict(row) for row in (rows if isinstance(rows, list) else [])
                if isinstance(row, dict) and row.get("provider", PROVIDER) != PROVIDER]

    def save_totals(self, totals: dict[str, Any], auxiliary: list[dict[str, Any]] | None = None) -> "Deferred[None]":
        """Store the job totals and the auxiliary rows (kept as stored when not given)."""
        rows = [{"provider": PROVIDER, "field": field,
                 "maximum": totals[field] if field in MAXIMA else 0,
                 "total": 0 if field in MAXIMA else totals[field]} for field in (*SUMS, *MAXIMA)]
        rows.extend(self.auxiliary_totals() if auxiliary is None else auxiliary)
        return self.namespace.insert(TOTALS_KEY, rows)

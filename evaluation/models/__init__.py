from .benchmarks import (
    ArrivalQuota,
    BenchmarkIndicator,
    BenchmarkPeriodKind,
    BenchmarkRole,
    BenchmarkSource,
    BenchmarkValue,
)
from .reports import ReportArchive, ReportJob, ReportKind, ReportNarrative

__all__ = [
    "ArrivalQuota",
    "BenchmarkIndicator",
    "BenchmarkPeriodKind",
    "BenchmarkRole",
    "BenchmarkSource",
    "BenchmarkValue",
    "ReportArchive",
    "ReportJob",
    "ReportKind",
    "ReportNarrative",
]

from .benchmarks import ArrivalQuota, BenchmarkIndicator, BenchmarkSource, BenchmarkValue
from .reports import ReportArchive, ReportJob, ReportKind, ReportNarrative

__all__ = [
    "ArrivalQuota",
    "BenchmarkIndicator",
    "BenchmarkSource",
    "BenchmarkValue",
    "ReportArchive",
    "ReportJob",
    "ReportKind",
    "ReportNarrative",
]

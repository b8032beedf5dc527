"""The benchmark harness: detectors × data sets × seeds, with reports and plots."""

from .registry import (
    CLASSICAL,
    OURS,
    REFERENCE,
    available_detectors,
    make_detector,
    register_detector,
)
from .report import by_anomaly_type, markdown_report, per_dataset, summarize
from .runner import PROTOCOLS, Task, make_tasks, read_rows, run_grid, run_task, split

__all__ = [
    "CLASSICAL",
    "OURS",
    "PROTOCOLS",
    "REFERENCE",
    "Task",
    "by_anomaly_type",
    "available_detectors",
    "make_detector",
    "make_tasks",
    "markdown_report",
    "per_dataset",
    "read_rows",
    "register_detector",
    "run_grid",
    "run_task",
    "split",
    "summarize",
]

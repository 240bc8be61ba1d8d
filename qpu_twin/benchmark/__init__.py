"""Benchmarking: twin predictions vs hardware results, with baselines and confidence intervals.

Datasets (circuits with measured counts) live in :mod:`qpu_twin.data`; they
are re-exported here for convenience.
"""

from ..data import HardwareDataset, MeasuredCircuit, dataset_from_backend, load_dataset, save_dataset
from .harness import BenchmarkReport, Model, default_models, run_benchmark, write_report
from .suites import bernstein_vazirani, ghz, mirror, qft_roundtrip, quantum_volume, standard_suite

__all__ = [
    "BenchmarkReport", "HardwareDataset", "MeasuredCircuit", "Model", "bernstein_vazirani", "dataset_from_backend",
    "default_models", "ghz", "load_dataset", "mirror", "qft_roundtrip", "quantum_volume", "run_benchmark",
    "save_dataset", "standard_suite", "write_report",
]

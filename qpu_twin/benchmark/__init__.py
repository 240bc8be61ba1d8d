"""Benchmarking: twin predictions vs hardware results, with baselines and confidence intervals."""

from .dataset import BenchCircuit, HardwareDataset, dataset_from_backend, load_dataset, save_dataset
from .harness import BenchmarkReport, Model, default_models, run_benchmark, write_report
from .suites import bernstein_vazirani, ghz, mirror, qft_roundtrip, quantum_volume, standard_suite

__all__ = [
    "BenchCircuit", "BenchmarkReport", "HardwareDataset", "Model", "bernstein_vazirani", "dataset_from_backend",
    "default_models", "ghz", "load_dataset", "mirror", "qft_roundtrip", "quantum_volume", "run_benchmark",
    "save_dataset", "standard_suite", "write_report",
]

"""Re-export of the exact Aer reference used by the tests."""

from qpu_twin.interop.aer import aer_exact_distribution  # noqa: F401

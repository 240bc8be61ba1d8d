"""Hardware data: circuits that ran on real devices, with their measured counts."""

from .ibm_jobs import HardwareCircuit, IBMJob, ibm_repetition_code_jobs, load_ibm_job

__all__ = ["HardwareCircuit", "IBMJob", "ibm_repetition_code_jobs", "load_ibm_job"]

"""Hardware data: circuits that ran on real devices with their measured counts, and datasets of them."""

from .dataset import HardwareDataset, dataset_from_backend, load_dataset, save_dataset
from .ibm_jobs import IBMJob, ibm_repetition_code_jobs, load_ibm_job
from .records import MeasuredCircuit

__all__ = ["HardwareDataset", "IBMJob", "MeasuredCircuit", "dataset_from_backend", "ibm_repetition_code_jobs",
           "load_dataset", "load_ibm_job", "save_dataset"]

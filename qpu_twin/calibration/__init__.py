"""Calibration: experiments that build circuits, analyses that fit data, and profile updates."""

from .experiments import (
    CalibrationResult,
    Experiment,
    ExperimentData,
    HahnEchoExperiment,
    RamseyExperiment,
    RBExperiment,
    ReadoutExperiment,
    T1Experiment,
    ZZExperiment,
)
from .fitting import Fit, fit_binomial
from .quantinuum import analyse_file as analyse_quantinuum_file
from .quantinuum import load_quantinuum
from .update import apply_results, calibration_history, drift_summary, profile_as_of, save_to_history

EXPERIMENTS = {
    "t1": T1Experiment,
    "ramsey": RamseyExperiment,
    "hahn": HahnEchoExperiment,
    "readout": ReadoutExperiment,
    "rb": RBExperiment,
    "zz": ZZExperiment,
}

__all__ = [
    "EXPERIMENTS",
    "analyse_quantinuum_file",
    "apply_results",
    "calibration_history",
    "drift_summary",
    "load_quantinuum",
    "profile_as_of",
    "save_to_history",
    "CalibrationResult",
    "Experiment",
    "ExperimentData",
    "Fit",
    "HahnEchoExperiment",
    "RBExperiment",
    "RamseyExperiment",
    "ReadoutExperiment",
    "T1Experiment",
    "ZZExperiment",
    "fit_binomial",
]

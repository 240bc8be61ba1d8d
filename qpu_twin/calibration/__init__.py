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
from .design import EXPERIMENTS, design_experiment
from .fitting import CurveFit, fit_binomial
from .quantinuum_data import analyse_file as analyse_quantinuum_file
from .quantinuum_data import load_quantinuum
from ..profiles.history import calibration_history, drift_summary, profile_as_of, save_to_history
from .update import apply_results

__all__ = [
    "EXPERIMENTS",
    "design_experiment",
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
    "CurveFit",
    "HahnEchoExperiment",
    "RBExperiment",
    "RamseyExperiment",
    "ReadoutExperiment",
    "T1Experiment",
    "ZZExperiment",
    "fit_binomial",
]

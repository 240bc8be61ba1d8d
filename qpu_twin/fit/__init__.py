"""Fitting the whole twin to measured hardware counts, and predicting with uncertainty."""

from .fit import FitParameter, FitResult, default_parameters, fit_twin, profile_with
from .predict import consistency_test, posterior_from_fit, posterior_from_profile, predict_with_uncertainty

__all__ = [
    "FitParameter", "FitResult", "consistency_test", "default_parameters", "fit_twin", "posterior_from_fit",
    "posterior_from_profile", "predict_with_uncertainty", "profile_with",
]

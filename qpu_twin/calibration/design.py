"""Default experiment designs from a profile: what ``qpu-twin calibrate run`` runs.

The scan ranges follow the profile's own values, so the fit sees the decay:
T1 delays up to 4 T1, Ramsey up to 2 T2 with a detuning of 1.5/T2, echo up
to 3 T2, RB lengths that reach ~1/e survival at typical errors, ZZ spans up
to one ZZ period. Missing values fall back to 100 us (T1, T2) and 50 kHz (ZZ).
"""

from __future__ import annotations

import numpy as np

from ..errors import CalibrationError, check_qubits, check_str
from ..profiles.model import DeviceProfile
from . import experiments as ex

EXPERIMENTS = {
    "t1": ex.T1Experiment,
    "ramsey": ex.RamseyExperiment,
    "hahn": ex.HahnEchoExperiment,
    "readout": ex.ReadoutExperiment,
    "rb": ex.RBExperiment,
    "zz": ex.ZZExperiment,
}

#: how many qubits each experiment takes (RB: 1 or 2)
ARITY = {"t1": (1,), "ramsey": (1,), "hahn": (1,), "readout": (1,), "rb": (1, 2), "zz": (2,)}


def design_experiment(name: str, profile: DeviceProfile, qubits, *, seed: int | None = None) -> ex.Experiment:
    """The default experiment ``name`` on ``qubits`` of ``profile`` (see the module docstring)."""
    from ..errors import did_you_mean
    from ..profiles.store import load_profile
    from ..seeding import check_seed

    check_str("name", name)
    if name not in EXPERIMENTS:
        raise CalibrationError(f"experiment {name!r} unknown{did_you_mean(name, EXPERIMENTS)} "
                               f"(known: {', '.join(EXPERIMENTS)})")
    profile = load_profile(profile)
    qubits = list(check_qubits("qubits", qubits, num_qubits=profile.num_qubits, device=profile.name))
    check_seed(seed)
    if len(qubits) not in ARITY[name]:
        need = " or ".join(str(a) for a in ARITY[name])
        raise CalibrationError(f"{name} needs {need} qubit(s), got qubits={qubits}")
    if len(qubits) == 2 and not profile.is_coupled(*qubits):
        raise CalibrationError(f"{name}: qubits {qubits} are not coupled on {profile.name}")
    q0 = profile.qubit(qubits[0])
    t1 = q0.t1_us or 100.0
    t2 = q0.t2_us or 100.0
    if name == "t1":
        return ex.T1Experiment(qubits[0], np.linspace(0.5, 4 * t1, 21))
    if name == "ramsey":
        return ex.RamseyExperiment(qubits[0], np.linspace(0, 2 * t2, 61), detuning_mhz=3.0 / (2 * t2))
    if name == "hahn":
        return ex.HahnEchoExperiment(qubits[0], np.linspace(0.5, 3 * t2, 21))
    if name == "readout":
        return ex.ReadoutExperiment(qubits[0])
    if name == "rb":
        lengths = [1, 100, 300, 600, 1000, 1500] if len(qubits) == 1 else [1, 5, 15, 30, 50, 80]
        return ex.RBExperiment(qubits, lengths, num_samples=6, seed=seed or 0)
    zz = abs(profile.zz_khz(*qubits) or 50.0)
    span = min(2 * t2, 2.0 / (zz * 1e-3))
    return ex.ZZExperiment(qubits[0], qubits[1], np.linspace(0, span, 41), detuning_mhz=max(4 / span, 2 * zz * 1e-3))

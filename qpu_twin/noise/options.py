"""Which physics the twin applies: the noise level and ablation switches."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

import numpy as np

from ..errors import ArgumentError, did_you_mean, short_repr

Level = Literal["lindblad", "aer", "ideal"]
LEVELS = ("lindblad", "aer", "ideal")
#: How static ZZ is applied (see ``NoiseOptions.zz_scheme``).
ZZ_SCHEMES = ("first_order", "dressed")


@dataclass(frozen=True)
class NoiseOptions:
    """Noise level and the components that can be switched off for ablations.

    Parameters
    ----------
    level : {"lindblad", "aer", "ideal"}
        ``"lindblad"`` (default): each gate's map is integrated from its
        generator Hamiltonian and T1/Tphi collapse operators with QuTiP, the
        remaining error is depolarizing; idle noise in every gap; static ZZ.
        ``"aer"``: the ideal gate followed by exactly the thermal-relaxation +
        depolarizing composition of Aer's ``NoiseModel.from_backend``; idle
        noise only on explicit delays; no ZZ. ``"ideal"``: no noise at all.
    idle : bool
        T1/T2 decay in every idle window (``lindblad`` only).
    delays : bool
        T1/T2 decay during explicit ``delay`` instructions.
    zz : bool
        Static ZZ between coupled active qubits (``lindblad`` only).
    readout : bool
        Asymmetric readout assignment errors.
    decoherence : bool
        T1/T2 during gates, measurement and reset windows.
    gate_error : bool
        The depolarizing part that tops each gate up to its stated error.
    reset_error : bool
        The profile's reset error (``lindblad`` only; Aer has none).
    preparation : bool
        Residual excited population at the start (``prep_excited_prob``; ``lindblad`` only).
    readout_window : bool
        T1 during the readout window before discrimination (``readout_t1_window_ns``):
        that part of p(0|1) also relaxes the state (``lindblad`` only).
    backaction : bool
        Measurement backaction on the measured qubit (``meas_excitation_prob``,
        ``meas_relaxation_prob``; ``lindblad`` only).
    spectators : bool
        Dephasing, Stark phase and Pauli errors on other qubits while a qubit is
        read out (``crosstalk.readout_spectators``, ``crosstalk.measurement``; ``lindblad`` only).
    correlated_readout : bool
        Joint assignment matrices of pairs read out together (``crosstalk.readout_pairs``).
    leakage : bool
        Leakage out of the computational subspace in gates and seepage back
        (``Gate.leakage_prob``, ``Qubit.leakage_lifetime_us``; ``lindblad`` only).
    quasi_static : bool
        Quasi-static Gaussian detuning (``detuning_sigma_khz`` or derived from
        ``t2_star_us``), averaged exactly by quadrature (``lindblad`` only).
    coherent_errors : bool
        The gates' coherent errors in their drive Hamiltonians: ``Gate.overrotation``
        and the IX/ZX terms of two-qubit gates (``ix_error_rad``, ``zx_error_rad``;
        ``lindblad`` only). Off, the stated error is all depolarizing.
    zz_scheme : {"first_order", "dressed"}
        How static ZZ is applied. ``"first_order"`` (default): each pair's ZZ
        phase is accumulated and applied before the next non-diagonal op on the
        pair. ``"dressed"``: exact per-window corrections of the running gates
        (channels on up to 4 qubits), which agree with a whole-circuit QuTiP
        integration to <= 2e-4 in total variation also on Eagle-class devices
        (zeta ~ -57 kHz, ECR ~ 0.5 us), where first order is off by up to 8e-2;
        it costs ~12x per circuit (ibm_hanoi repetition codes: 1.3 s vs 0.11 s),
        so it is opt-in (docs/architecture.md, "Whole-circuit reference").

    Every component acts only where the profile gives its values: a profile
    without them gives today's datasheet behaviour.
    """

    level: Level = "lindblad"
    idle: bool = True
    delays: bool = True
    zz: bool = True
    readout: bool = True
    decoherence: bool = True
    gate_error: bool = True
    reset_error: bool = True
    preparation: bool = True
    readout_window: bool = True
    backaction: bool = True
    spectators: bool = True
    correlated_readout: bool = True
    leakage: bool = True
    quasi_static: bool = True
    coherent_errors: bool = True
    zz_scheme: str = "first_order"

    def __post_init__(self):
        if not isinstance(self.level, str) or self.level not in LEVELS:
            raise ArgumentError(f"noise level={short_repr(self.level)}: unknown{did_you_mean(self.level, LEVELS)}; "
                                "use 'lindblad', 'aer' or 'ideal'")
        if not isinstance(self.zz_scheme, str) or self.zz_scheme not in ZZ_SCHEMES:
            raise ArgumentError(f"noise option zz_scheme={short_repr(self.zz_scheme)}: unknown"
                                f"{did_you_mean(self.zz_scheme, ZZ_SCHEMES)}; use 'first_order' or 'dressed'")
        for f in fields(self)[1:-1]:
            value = getattr(self, f.name)
            if isinstance(value, np.bool_):  # numpy bool: store a Python bool
                object.__setattr__(self, f.name, bool(value))
            elif not isinstance(value, bool):
                raise ArgumentError(f"noise option {f.name}={short_repr(value)}: must be True or False")

    @property
    def idle_active(self) -> bool:
        return self.level == "lindblad" and self.idle and self.decoherence

    @property
    def zz_active(self) -> bool:
        return self.level == "lindblad" and self.zz

    @property
    def readout_active(self) -> bool:
        return self.level != "ideal" and self.readout

    @property
    def preparation_active(self) -> bool:
        return self.level == "lindblad" and self.preparation

    @property
    def readout_window_active(self) -> bool:
        return self.level == "lindblad" and self.readout_window and self.decoherence

    @property
    def backaction_active(self) -> bool:
        return self.level == "lindblad" and self.backaction

    @property
    def spectators_active(self) -> bool:
        return self.level == "lindblad" and self.spectators

    @property
    def correlated_readout_active(self) -> bool:
        return self.level != "ideal" and self.readout and self.correlated_readout

    @property
    def leakage_active(self) -> bool:
        return self.level == "lindblad" and self.leakage

    @property
    def quasi_static_active(self) -> bool:
        return self.level == "lindblad" and self.quasi_static

    def key(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self))  # == tuple(asdict(self).values()), no deepcopy

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # == asdict(self): the fields are str/bool

    @classmethod
    def coerce(cls, noise: "NoiseOptions | str | dict | None", **overrides: Any) -> "NoiseOptions":
        """Accept ``"lindblad"``, ``"aer"``, ``"ideal"``, a dict of fields, or an instance."""
        if noise is None:
            opts = cls()
        elif isinstance(noise, cls):
            opts = noise
        elif isinstance(noise, str):
            opts = cls(level=noise)  # type: ignore[arg-type]
        elif isinstance(noise, dict):
            _check_names("noise", noise)
            opts = cls(**noise)
        else:
            raise ArgumentError(f"noise={short_repr(noise)}: use a level name ('lindblad', 'aer', 'ideal'), a dict "
                                "of options or a NoiseOptions")
        if overrides:
            _check_names("noise options", overrides)
            opts = replace(opts, **overrides)
        return opts


def _check_names(where: str, options: dict) -> None:
    names = [f.name for f in fields(NoiseOptions)]
    bad = [k for k in options if k not in names]
    if bad:
        hints = ", ".join(f"{short_repr(b)}{did_you_mean(b, names)}" for b in bad)
        raise ArgumentError(f"{where}: unknown option(s) {hints} (known: {', '.join(names)})")

"""Which physics the twin applies: the noise level and ablation switches."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from ..errors import ArgumentError, QpuTwinError

Level = Literal["lindblad", "aer", "ideal"]


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

    def __post_init__(self):
        if self.level not in ("lindblad", "aer", "ideal"):
            raise ArgumentError(f"noise level={self.level!r}: use 'lindblad', 'aer' or 'ideal'")
        for f in fields(self):
            if f.name != "level":
                v = getattr(self, f.name)
                if not isinstance(v, bool):  # 'false' (a str) is truthy: refuse anything but a bool
                    raise ArgumentError(f"noise option {f.name}={v!r}: must be True or False")

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
        return tuple(asdict(self).values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

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
            names = {f.name for f in fields(cls)}
            bad = sorted(set(noise) - names)
            if bad:
                raise QpuTwinError(f"noise options {bad} unknown (known: {sorted(names)})")
            opts = cls(**noise)
        else:
            raise QpuTwinError(f"noise={noise!r}: use a level name, a dict or NoiseOptions")
        if overrides:
            names = {f.name for f in fields(cls)}
            bad = sorted(set(overrides) - names)
            if bad:
                raise QpuTwinError(f"noise options {bad} unknown (known: {sorted(names)})")
            opts = replace(opts, **overrides)
        return opts

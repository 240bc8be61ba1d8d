"""Which physics the twin applies: the noise level and ablation switches."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from ..errors import QpuTwinError

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
    """

    level: Level = "lindblad"
    idle: bool = True
    delays: bool = True
    zz: bool = True
    readout: bool = True
    decoherence: bool = True
    gate_error: bool = True
    reset_error: bool = True

    def __post_init__(self):
        if self.level not in ("lindblad", "aer", "ideal"):
            raise QpuTwinError(f"noise level={self.level!r}: use 'lindblad', 'aer' or 'ideal'")

    @property
    def idle_active(self) -> bool:
        return self.level == "lindblad" and self.idle and self.decoherence

    @property
    def zz_active(self) -> bool:
        return self.level == "lindblad" and self.zz

    @property
    def readout_active(self) -> bool:
        return self.level != "ideal" and self.readout

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

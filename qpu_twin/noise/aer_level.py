"""The noise maps of the ``aer`` level: exactly what Qiskit Aer's ``NoiseModel.from_backend`` attaches.

The builder's ``aer`` level uses these maps so the twin can reproduce Aer's
numbers exactly (``tests/noise/test_aer_level.py`` checks each map against
Aer's own ``QuantumError``). The export of a whole profile to an Aer
``NoiseModel`` is :func:`qpu_twin.interop.aer.to_aer_noise_model`.
"""

from __future__ import annotations

import numpy as np

from ..compile.target import cached_target
from ..errors import check_qubits, check_str
from ..profiles.gates import NON_GATE_INSTRUCTIONS
from ..profiles.model import DeviceProfile
from . import channels as ch


def _check_gate_args(profile, name, qubits, *, non_gates=()) -> tuple[DeviceProfile, tuple[int, ...]]:
    """The profile (loaded if a name) and the qubits of a gate the device has (else an error naming it)."""
    from ..profiles.store import load_profile

    profile = load_profile(profile)
    check_str("name", name)
    qubits = check_qubits("qubits", qubits, num_qubits=profile.num_qubits, device=profile.name)
    if name not in non_gates:
        profile.gate(name, qubits)  # ProfileError naming gate and qubits if the device has no such gate
    return profile, qubits


def aer_gate_superop(profile: DeviceProfile, name: str, qubits: tuple[int, ...]):
    """Row-major superoperator of the error :func:`aer_gate_error` returns (None if no error).

    Built numerically with Aer's formulas, ~100x faster than converting the
    ``QuantumError`` (``qpu_twin.interop.aer.aer_gate_error``): thermal relaxation over the gate duration on each qubit
    (T2 truncated to 2*T1, zero temperature), preceded by a depolarizing channel
    with Aer's parameter p = d (F_relax - F) / (d F_relax - 1) when the stated
    error exceeds the relaxation infidelity. ``tests/noise/test_aer_level.py``
    checks it against Aer's own ``QuantumError`` for every gate of several devices.
    """
    profile, qubits = _check_gate_args(profile, name, qubits, non_gates=NON_GATE_INSTRUCTIONS)
    target = cached_target(profile)
    if name not in target.operation_names:
        return None
    props = target[name].get(tuple(qubits))
    if props is None:
        return None
    k = len(qubits)
    relax = None
    if props.duration:
        relax = np.eye(4**k, dtype=complex)
        for j, q in enumerate(qubits):
            qp = target.qubit_properties[q]
            t1 = None if qp.t1 is None else qp.t1 * 1e6
            t2 = None if qp.t2 is None else qp.t2 * 1e6
            if t1 is not None and t2 is not None:
                t2 = min(t2, 2 * t1)
            relax = ch.embed_superop(ch.relaxation_superop(props.duration * 1e9, t1, t2), [j], k) @ relax
    from qiskit.circuit import Gate

    depol = None
    if props.error and isinstance(target.operation_from_name(name), Gate):
        d = 2**k
        if relax is not None:
            relax_fid = ch.average_gate_fidelity(relax, np.eye(d))
        else:
            relax_fid = 1.0
        relax_infid = 1.0 - relax_fid
        if props.error > relax_infid:
            err = min(props.error, d / (d + 1))
            p = d * (err - relax_infid) / (d * relax_fid - 1)
            p = min(p, 4**k / (4**k - 1))
            depol = ch.depolarizing_superop(p, k)
    if depol is None and relax is None:
        return None
    if depol is None:
        return relax
    if relax is None:
        return depol
    return relax @ depol  # Aer: depol_error.compose(relax_error) = depolarize, then relax

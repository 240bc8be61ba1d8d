"""Export the twin's layer noise where IBM's tools read learned noise.

``Twin.layer_noise(circuit)`` (see :mod:`qpu_twin.noise.pauli_lindblad`) gives
per unique two-qubit-gate layer a ``qiskit.quantum_info.PauliLindbladMap``.
This module hands it on:

* :func:`to_layer_errors`: qiskit-ibm-runtime ``LayerError`` objects, what
  ``EstimatorV2.options.resilience.layer_noise_model`` accepts instead of
  running a ``NoiseLearner`` (which refuses local and fake backends).
* :func:`to_aer_errors` / :func:`aer_noisy_circuit`: Qiskit Aer
  ``PauliLindbladError`` instructions, one per layer, to simulate the twirled
  layer noise in Aer.

Qubit order: map qubit i is physical ``layer.qubits[i]``; ``LayerError.qubits``
holds those physical indices and ``LayerError.circuit`` is the ideal layer on
``len(qubits)`` qubits.

Negative rates: the exact twirled channel of a layer is not always a
Pauli-Lindblad map with non-negative rates (a coherent ZZ phase gives tiny
negative rates, |rate| ~ 1e-6). Runtime's objects carry them as they are;
Aer cannot simulate a non-CPTP map, so :func:`to_aer_errors` raises unless
``negative_rates="clip"`` is given, which sets them to zero and warns with the
largest clipped rate.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import QpuTwinError
from ..noise.pauli_lindblad import LayerNoise, LayerNoiseModel, generator_list


def _layers(model) -> list[LayerNoise]:
    if isinstance(model, LayerNoise):
        return [model]
    if isinstance(model, LayerNoiseModel):
        return list(model.layers)
    out = list(model)
    if not all(isinstance(x, LayerNoise) for x in out):
        raise QpuTwinError("expected a LayerNoiseModel (Twin.layer_noise), a LayerNoise or a list of them")
    return out


def to_layer_errors(model) -> list:
    """qiskit-ibm-runtime ``LayerError`` of each unique layer.

    Examples
    --------
    >>> from qiskit import QuantumCircuit
    >>> from qpu_twin import Twin
    >>> from qpu_twin.interop.layer_noise import to_layer_errors
    >>> qc = QuantumCircuit(5); _ = qc.cx(0, 1)
    >>> errs = to_layer_errors(Twin("line5").layer_noise(qc, transpile=False))
    >>> errs[0].qubits, errs[0].error.num_qubits
    ([0, 1], 2)
    """
    from qiskit.quantum_info import PauliList

    try:
        from qiskit_ibm_runtime.results import LayerError, PauliLindbladError
    except ImportError:  # pragma: no cover - older runtime
        from qiskit_ibm_runtime.utils.noise_learner_result import LayerError, PauliLindbladError

    out = []
    for layer in _layers(model):
        labels, rates = generator_list(layer)
        out.append(LayerError(layer.circuit, list(layer.qubits), PauliLindbladError(PauliList(labels), rates)))
    return out


def _clip(layer: LayerNoise, negative_rates: str) -> tuple[list[str], np.ndarray]:
    labels, rates = generator_list(layer)
    if negative_rates not in ("raise", "clip"):
        raise QpuTwinError(f"negative_rates={negative_rates!r}: use 'raise' or 'clip'")
    neg = rates < 0
    if np.any(neg):
        i = int(np.argmin(rates))
        if negative_rates == "raise":
            raise QpuTwinError(
                f"layer {layer.gates}: {int(neg.sum())} generator(s) have negative rates (smallest "
                f"{labels[i]}: {rates[i]:.3g}); Aer needs a CPTP map. Pass negative_rates='clip' to set "
                f"them to 0 (reported in a warning)"
            )
        warnings.warn(
            f"layer {layer.gates}: {int(neg.sum())} negative rate(s) set to 0 for Aer "
            f"(largest |rate| clipped: {labels[i]} {rates[i]:.3g})",
            stacklevel=3,
        )
        rates = np.where(neg, 0.0, rates)
    return labels, rates


def to_aer_errors(model, *, negative_rates: str = "raise") -> list:
    """Qiskit Aer ``PauliLindbladError`` of each unique layer (qubit i = ``layer.qubits[i]``)."""
    from qiskit.quantum_info import PauliList
    from qiskit_aer.noise import PauliLindbladError

    out = []
    for layer in _layers(model):
        labels, rates = _clip(layer, negative_rates)
        out.append(PauliLindbladError(PauliList(labels), rates))
    return out


def aer_noisy_circuit(model: LayerNoiseModel, *, negative_rates: str = "raise", barriers: bool = False):
    """The circuit of ``model`` with each layer followed by its Aer ``PauliLindbladError``.

    Single-qubit gates and measurements are ideal: an Aer simulation of this
    circuit is the twin's twirled layer noise and nothing else.
    """
    if not isinstance(model, LayerNoiseModel):
        raise QpuTwinError("aer_noisy_circuit needs the LayerNoiseModel that Twin.layer_noise returns")
    errors = to_aer_errors(model, negative_rates=negative_rates)
    base = model.layered_circuit(barriers=barriers)
    # rebuild with the errors after each layer's gates
    from qiskit import QuantumCircuit

    from ..noise.pauli_lindblad import split_layers

    layers, where = split_layers(base)
    last = {}
    for i, (k, _) in enumerate(where):
        if k >= 0:
            last[k] = i
    out = QuantumCircuit(*base.qregs, *base.cregs, name=base.name)
    for i, inst in enumerate(base.data):
        out.append(inst)
        for k, j in last.items():
            if j == i:
                layer = model.layers[model.sequence[k]]
                out.append(errors[model.sequence[k]], list(layer.qubits))
    return out

"""Loading circuits (QuantumCircuit, OpenQASM 2/3 file or text) and compiling
them onto a device: transpilation against the profile's Target, or validation
of an already native, physical circuit (``transpile=False``)."""

from __future__ import annotations

from pathlib import Path

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, IfElseOp

from ..errors import ArgumentError, CompileError, short_repr
from ..profiles.model import DeviceProfile
from .target import transpiler_for

#: Instructions that are not gates and that every device supports.
STRUCTURAL = frozenset({"measure", "reset", "delay", "barrier"})


def load_circuit(source, *, parameters: dict | None = None) -> QuantumCircuit:
    """A ``QuantumCircuit`` from a circuit, an OpenQASM 2/3 file path, or OpenQASM text.

    The OpenQASM version is read from the ``OPENQASM`` header. Parse errors
    become :class:`~qpu_twin.CompileError` naming the file, the line and
    column and the parser's message.

    Parameters
    ----------
    parameters : dict, optional
        Values for the circuit's free parameters by name (OpenQASM 3
        ``input float theta;`` becomes a parameter ``theta``). Every name must
        exist; a circuit that still has free parameters cannot be simulated.
    """
    if isinstance(source, QuantumCircuit):
        qc = source
    else:
        qc = _parse(source)
    if parameters:
        qc = bind_parameters(qc, parameters)
    return qc


def bind_parameters(qc: QuantumCircuit, parameters: dict) -> QuantumCircuit:
    """``qc`` with its free parameters bound by name (:class:`CompileError` for unknown names/values)."""
    import math

    by_name = {p.name: p for p in qc.parameters}
    unknown = sorted(set(parameters) - set(by_name))
    if unknown:
        import difflib

        hints = [f"{u!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(u, by_name, n=1))
                             else "") for u in unknown]
        raise CompileError(f"parameter(s) {', '.join(hints)} not in circuit {qc.name!r} "
                           f"(its parameters: {', '.join(sorted(by_name)) or 'none'})")
    values = {}
    for name, value in parameters.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise CompileError(f"parameter {name}={value!r} is not a number") from None
        if not math.isfinite(v):
            raise CompileError(f"parameter {name}={value!r} is not finite")
        values[by_name[name]] = v
    return qc.assign_parameters(values)


def _parse(source) -> QuantumCircuit:
    text, where = None, "<string>"
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and "OPENQASM" not in source):
        path = Path(source)
        if not path.is_file():
            raise CompileError(f"circuit file {str(path)!r} does not exist")
        try:
            text, where = path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise CompileError(f"circuit file {str(path)!r}: cannot read it as UTF-8 text: {exc}") from None
    elif isinstance(source, str):
        text = source
    else:
        raise ArgumentError(f"circuit={short_repr(source)}: cannot load a circuit from {type(source).__name__} "
                            "(use a QuantumCircuit, an OpenQASM file path or OpenQASM text)")
    header = text.lstrip().split(";", 1)[0].replace("\n", " ").strip()
    try:
        if header.startswith("OPENQASM 3"):
            from qiskit import qasm3

            return qasm3.loads(text)
        from qiskit import qasm2

        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:  # qasm2.QASM2ParseError, qasm3.QASM3ImporterError, openqasm3 parse errors ...
        raise CompileError(f"{where}: malformed OpenQASM ({header[:20] or 'no header'}): {_parse_reason(exc)}") \
            from None


def _parse_reason(exc: BaseException) -> str:
    """The parser's message; for the OpenQASM 3 parser (which raises an empty error) the offending token."""
    text = str(exc).strip()
    if text:
        return text
    cause = exc.__cause__ or exc.__context__
    for obj in (cause, *(getattr(cause, "args", ()) or ())):
        tok = getattr(obj, "offendingToken", None)
        if tok is not None:
            return f"line {tok.line}, column {tok.column + 1}: unexpected {tok.text!r}"
    return f"{type(exc).__name__} (no message from the parser)"


def _iter_ops(circuit: QuantumCircuit, qmap: list[int]):
    """Yield (instruction, physical qubits) recursively through control flow."""
    for inst in circuit.data:
        qubits = [qmap[circuit.find_bit(q).index] for q in inst.qubits]
        yield inst, qubits
        if isinstance(inst.operation, ControlFlowOp):
            for block in inst.operation.blocks:
                yield from _iter_ops(block, qubits)


def check_native(circuit: QuantumCircuit, profile: DeviceProfile) -> None:
    """Raise :class:`CompileError` unless ``circuit`` is native and physical on ``profile``.

    Circuit qubit i is device qubit i; every gate must be a calibrated,
    operational native gate on exactly those (coupled) qubits.
    """
    if circuit.num_qubits > profile.num_qubits:
        raise CompileError(
            f"circuit has {circuit.num_qubits} qubits but {profile.name} has {profile.num_qubits} "
            f"(with transpile=False circuit qubit i is device qubit i)"
        )
    native = set(profile.native_gates)
    for inst, qubits in _iter_ops(circuit, list(range(circuit.num_qubits))):
        name = inst.operation.name
        if name in STRUCTURAL:
            if name in ("measure", "reset"):
                q = profile.qubit(qubits[0])
                if not q.operational:
                    raise CompileError(f"{name} on qubit {qubits[0]}: qubit is marked non-operational in {profile.name}")
            continue
        if isinstance(inst.operation, IfElseOp):
            if "if_else" not in profile.control_flow:
                raise CompileError(_no_feed_forward(profile))
            continue
        if isinstance(inst.operation, ControlFlowOp):
            raise CompileError(f"{name}: unsupported control flow (only if_else is simulated)")
        if name not in native:
            raise CompileError(
                f"gate {name!r} on qubits {tuple(qubits)} is not a native gate of {profile.name} "
                f"(native: {', '.join(sorted(native))}); use transpile=True (CLI: drop --no-transpile)"
            )
        if len(qubits) == 2 and not profile.is_coupled(*qubits):
            raise CompileError(
                f"gate {name!r} on qubits {tuple(qubits)}: the pair is not coupled on {profile.name}; "
                "use transpile=True (CLI: drop --no-transpile)"
            )
        if not profile.has_gate(name, qubits):
            raise CompileError(f"gate {name!r} is not calibrated on qubits {tuple(qubits)} of {profile.name}")
        gate = profile.gate(name, qubits)
        if not gate.operational:
            why = [a.reason for a in profile.provenance.adjustments if a.target == gate.label]
            raise CompileError(
                f"{gate.label} is marked non-operational in {profile.name}" + (f" ({why[0]})" if why else "")
            )
        dead = [q for q in qubits if not profile.qubit(q).operational]
        if dead:
            raise CompileError(f"gate {name!r} on qubits {tuple(qubits)}: qubit(s) {dead} non-operational in {profile.name}")


def check_finite_values(circuit: QuantumCircuit) -> None:
    """Raise :class:`CompileError` if a gate angle or delay duration of ``circuit`` is NaN or infinite.

    Such a value has no physical meaning; the transpiler would silently fold
    it away (``rz(nan)`` is virtual) or pass it on (``rzz(nan)``), giving
    confident numbers. Bound parameter expressions are checked by value;
    free parameters are left to the later "unbound parameters" error.
    The check descends into control-flow blocks.
    """
    import cmath
    import numbers

    from qiskit.circuit import ParameterExpression

    def walk(qc: QuantumCircuit, where: str) -> None:
        for i, inst in enumerate(qc.data):
            op = inst.operation
            for k, p in enumerate(op.params):
                if isinstance(p, ParameterExpression):
                    if p.parameters:
                        continue
                    try:
                        p = complex(p)
                    except (TypeError, ValueError):
                        continue
                if isinstance(p, numbers.Number) and not isinstance(p, bool) and not cmath.isfinite(complex(p)):
                    qubits = tuple(qc.find_bit(q).index for q in inst.qubits)
                    raise CompileError(f"circuit {circuit.name!r}: {where}data[{i}] ({op.name} on qubits {qubits}) "
                                       f"params[{k}]={short_repr(p)}: must be a finite number")
            if isinstance(op, ControlFlowOp):
                for b, block in enumerate(op.blocks):
                    walk(block, f"{where}data[{i}].blocks[{b}].")

    walk(circuit, "")


def _no_feed_forward(profile: DeviceProfile) -> str:
    return (f"if_else: {profile.name} does not declare classical feed-forward (its control_flow is "
            f"{list(profile.control_flow)}). If the device supports dynamic circuits, enable it in the profile: "
            "profile.replace(control_flow=['if_else']) (or add `control_flow: [if_else]` to its YAML)")


def _control_flow_names(circuit: QuantumCircuit) -> set[str]:
    names = set()
    for inst, _ in _iter_ops(circuit, list(range(circuit.num_qubits))):
        if isinstance(inst.operation, ControlFlowOp):
            names.add(inst.operation.name)
    return names


def is_native_physical(circuit: QuantumCircuit, profile: DeviceProfile) -> bool:
    """True if ``circuit`` passes :func:`check_native` and is physical: as wide as the device,
    or the output of a transpilation (it has a ``layout``).

    Such a circuit already names device qubits; Qiskit's transpiler would treat
    them as virtual and might move or re-synthesise it, so ``transpile=True``
    uses it as it is (the rule ``TwinBackend`` applies too). A narrower native
    circuit without a layout is a logical circuit and is laid out error-aware.
    """
    if circuit.num_qubits != profile.num_qubits and circuit.layout is None:
        return False
    try:
        check_native(circuit, profile)
    except CompileError:
        return False
    return True


def _used_qubits(circuit: QuantumCircuit) -> int:
    used = set()
    for inst, qubits in _iter_ops(circuit, list(range(circuit.num_qubits))):
        if inst.operation.name not in ("delay", "barrier"):
            used.update(qubits)
    return len(used)


def compile_circuit(
    circuit,
    profile: DeviceProfile,
    *,
    transpile: bool | str = True,
    seed: int | None = None,
    optimization_level: int | None = None,
) -> QuantumCircuit:
    """The physical, native circuit that will be simulated.

    With ``transpile=True`` Qiskit's transpiler maps the circuit onto the
    profile's Target (error-aware layout and routing, native-gate
    translation); ``seed`` fixes its stochastic passes. The Target and pass
    manager are built once per profile and reused
    (:func:`~qpu_twin.compile.target.transpiler_for`); the result is the same
    as a fresh ``qiskit.transpile`` with that seed, except that exact layout
    ties go to the lower qubit indices reproducibly
    (:func:`~qpu_twin.compile.target.average_error_map`). A circuit that is
    already native *and* physical (as wide as the device, or carrying the
    layout of an earlier transpilation) skips the transpiler and is used as it
    is, as with ``transpile=False`` (:func:`is_native_physical`). With
    ``transpile=False`` the circuit is validated (:func:`check_native`) and
    used exactly as it is. With ``transpile="physical"`` the circuit keeps
    its qubits (qubit i is device qubit i): a native circuit is used as it
    is, others are translated (and routed if needed) from that initial layout.
    """
    qc = load_circuit(circuit)
    check_finite_values(qc)
    if transpile is False:
        check_native(qc, profile)
        return qc
    missing = _control_flow_names(qc) - set(profile.control_flow)
    if "if_else" in missing:
        raise CompileError(_no_feed_forward(profile))
    if missing:
        raise CompileError(f"{', '.join(sorted(missing))}: unsupported control flow (only if_else is simulated)")
    initial_layout = None
    if transpile == "physical":
        # keep the qubits the circuit names: qubit i is device qubit i (a transpiled circuit's
        # layout already made it so); a native circuit runs as given
        if qc.num_qubits > profile.num_qubits:
            raise CompileError(f"circuit has {qc.num_qubits} qubits but {profile.name} has {profile.num_qubits}")
        try:
            check_native(qc, profile)
            return qc
        except CompileError:
            initial_layout = list(range(qc.num_qubits))
    elif is_native_physical(qc, profile):
        return qc
    operational = sum(q.operational for q in profile.qubits)
    used = _used_qubits(qc)
    if qc.num_qubits > profile.num_qubits or used > operational:
        raise CompileError(
            f"circuit needs {used} qubits (width {qc.num_qubits}) but {profile.name} has "
            f"{profile.num_qubits} qubits, {operational} of them operational"
        )
    try:
        return transpiler_for(profile, optimization_level=optimization_level).run(qc, seed=seed,
                                                                                   initial_layout=initial_layout)
    except Exception as exc:  # TranspilerError and friends
        raise CompileError(f"transpiling {qc.name!r} onto {profile.name} failed: {exc}") from None

"""Features of a physical circuit that splits and diagnostics group by.

* :func:`placement`: the physical qubits a circuit acts on (its "line" on the device).
* :func:`uses_dynamical_decoupling`: whether idle windows are filled with echo pulses.
* :func:`repetition_code_layout`: code qubits, link (ancilla) qubits, rounds and the
  classical bits of a repetition-code circuit, so detection events can be computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from qiskit import QuantumCircuit

from ..errors import DataError

#: Gates that count as dynamical-decoupling pulses (single-qubit pi pulses).
DD_PULSES = frozenset({"x", "y"})
_QUIET = frozenset({"delay", "rz", "barrier"})


def _qubits(qc: QuantumCircuit, inst) -> tuple[int, ...]:
    return tuple(qc.find_bit(q).index for q in inst.qubits)


def placement(circuit: QuantumCircuit) -> tuple[int, ...]:
    """The sorted physical qubits with an operation other than ``delay``/``barrier``."""
    used: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name not in ("delay", "barrier"):
            used.update(_qubits(circuit, inst))
    return tuple(sorted(used))


def uses_dynamical_decoupling(circuit: QuantumCircuit) -> bool:
    """True if some qubit has two pi pulses (``x``/``y``) separated only by delays and ``rz`` frame changes.

    That is the signature of an echo (XX, XY4, ...) inserted into an idle
    window; a lone ``x`` (state preparation) does not count.
    """
    last_pulse: dict[int, bool] = {}  # qubit -> the last non-quiet op was a pi pulse
    for inst in circuit.data:
        name = inst.operation.name
        if name == "barrier":
            continue
        for q in _qubits(circuit, inst):
            if name in DD_PULSES:
                if last_pulse.get(q):
                    return True
                last_pulse[q] = True
            elif name not in _QUIET:
                last_pulse[q] = False
    return False


@dataclass(frozen=True)
class RepetitionCodeLayout:
    """Where a repetition-code circuit keeps its syndromes.

    Attributes
    ----------
    code_qubits : tuple[int, ...]
        Data qubits in chain order (each measured once, at the end).
    links : tuple[int, ...]
        Link (ancilla) qubits; ``links[j]`` checks ``code_qubits[j]`` and ``code_qubits[j + 1]``.
    link_clbits : tuple[tuple[int, ...], ...]
        ``link_clbits[r][j]``: the clbit of link j's measurement in round r.
    code_clbits : tuple[int, ...]
        Clbit of each code qubit's final measurement.
    reset_links : bool
        Links are reset after each measurement (else a syndrome is the XOR of consecutive results).
    """

    code_qubits: tuple[int, ...]
    links: tuple[int, ...]
    link_clbits: tuple[tuple[int, ...], ...]
    code_clbits: tuple[int, ...]
    reset_links: bool

    @property
    def rounds(self) -> int:
        return len(self.link_clbits)

    def detection_events(self, bits: str) -> list[list[int]]:
        """Detection events ``d[r][j]`` (r = 0..rounds, the last from the final code measurement) of one outcome.

        ``bits`` is a Qiskit-ordered bitstring (clbit 0 rightmost). The syndrome
        of link j in round r is its measured bit (XOR the previous round's when
        links are not reset); the final syndrome is the parity of the two code
        qubits it checks; a detection event is a change of syndrome between
        consecutive rounds (the first compared with 0: a |0...0> or |1...1> start).
        """
        n = len(bits)

        def bit(c: int) -> int:
            return int(bits[n - 1 - c])

        syndromes = []
        prev_raw = [0] * len(self.links)
        for r in range(self.rounds):
            raw = [bit(c) for c in self.link_clbits[r]]
            syndromes.append(raw if self.reset_links else [a ^ b for a, b in zip(raw, prev_raw)])
            prev_raw = raw
        code = [bit(c) for c in self.code_clbits]
        syndromes.append([code[j] ^ code[j + 1] for j in range(len(self.links))])
        events, prev = [], [0] * len(self.links)
        for s in syndromes:
            events.append([a ^ b for a, b in zip(s, prev)])
            prev = s
        return events


def repetition_code_layout(circuit: QuantumCircuit) -> RepetitionCodeLayout:
    """The :class:`RepetitionCodeLayout` of a repetition-code circuit (:class:`DataError` if it is not one).

    Links are the qubits measured before the end, each of them the target of
    CX gates from exactly two code qubits; code qubits are measured once at the end.
    """
    meas: dict[int, list[tuple[int, int]]] = {}  # qubit -> [(position, clbit)]
    partners: dict[int, set[int]] = {}
    resets: dict[int, list[int]] = {}
    for pos, inst in enumerate(circuit.data):
        name = inst.operation.name
        qs = _qubits(circuit, inst)
        if name == "measure":
            meas.setdefault(qs[0], []).append((pos, circuit.find_bit(inst.clbits[0]).index))
        elif name == "reset":
            resets.setdefault(qs[0], []).append(pos)
        elif name in ("cx", "ecr", "cz") and len(qs) == 2:
            a, b = qs
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
    links = sorted(q for q, m in meas.items() if len(m) > 1)
    code = sorted(q for q, m in meas.items() if len(m) == 1)
    name = circuit.name or "circuit"
    if not links or len(code) != len(links) + 1:
        raise DataError(f"{name}: not a repetition code (measured qubits {sorted(meas)}: {len(links)} measured "
                        f"repeatedly, {len(code)} once; need k links and k + 1 code qubits)")
    rounds = {len(meas[q]) for q in links}
    if len(rounds) != 1:
        raise DataError(f"{name}: links are measured different numbers of times {sorted(rounds)}")
    # chain order: a code qubit with one link partner starts the chain
    link_of = {q: sorted(partners.get(q, set()) & set(code)) for q in links}
    if any(len(v) != 2 for v in link_of.values()):
        raise DataError(f"{name}: every link must interact with exactly two code qubits, got {link_of}")
    degree = {c: sum(c in v for v in link_of.values()) for c in code}
    ends = [c for c, d in degree.items() if d == 1]
    if len(ends) != 2:
        raise DataError(f"{name}: code qubits do not form a chain (degrees {degree})")
    chain, ordered_links, cur = [min(ends)], [], min(ends)
    remaining = dict(link_of)
    while remaining:
        nxt = next((lk for lk, cs in remaining.items() if cur in cs), None)
        if nxt is None:
            raise DataError(f"{name}: code qubits do not form a chain")
        cs = remaining.pop(nxt)
        cur = cs[0] if cs[1] == cur else cs[1]
        ordered_links.append(nxt)
        chain.append(cur)
    reset_links = all(len(resets.get(q, [])) >= len(meas[q]) - 1 for q in ordered_links)
    n_rounds = rounds.pop()
    link_clbits = tuple(tuple(meas[q][r][1] for q in ordered_links) for r in range(n_rounds))
    code_clbits = tuple(meas[c][0][1] for c in chain)
    return RepetitionCodeLayout(tuple(chain), tuple(ordered_links), link_clbits, code_clbits, reset_links)

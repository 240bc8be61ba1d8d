"""Walk the public API with wrong arguments (issue #13, must-show item 4).

Every public callable (the ``__all__`` of the modules in :data:`MODULES`, the
constructors of their classes and those classes' public methods) is listed
once in :data:`API` with a valid call and, for each of its arguments, a few
wrong values: wrong types (a string for a number, a bool for an int, ``None``
where a value is required, a dict or list), wrong values (negative, zero,
NaN, inf, 10**30, empty) and near-miss names (typos, which get a
did-you-mean). Most lists come from the helpers below (``INT``, ``REAL``,
``BOOL``, ``CHOICE``, ``SEED``, ``PROFILE``, ``CIRCUIT``, ...) so an argument
of one kind gets the same standard wrong values everywhere; the semantic
cases (a qubit the device does not have, a count that is not whole, a value
beyond 2**n) are written out.

Each case asserts

* the exact package error class (a :class:`~qpu_twin.errors.QpuTwinError`
  subclass; ``ArgumentError`` is also a ``ValueError`` and ``TypeError``),
* that the message names the argument (or the field; aliases are listed per
  argument where the message uses the user's word, e.g. ``profile`` for
  ``load_profile(name_or_path)``), case-insensitively, and
* that it shows the value (``repr``/``short_repr``/``str`` of it, or the
  fragment given in ``Bad.shows``).

Meta-tests check that every name of every listed ``__all__`` is walked or
exempted with a reason (:data:`EXEMPT`), that every public method of every
walked class is walked or exempted, and that every parameter of every walked
callable has wrong values in the table or an exemption with a reason.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from qiskit import QuantumCircuit

import qpu_twin
from qpu_twin import benchmark, calibration, circuit_library, data, engines, fit, metrics, profiles
from qpu_twin.calibration import experiments as cal_exp
from qpu_twin.errors import (
    ArgumentError,
    BenchmarkError,
    CalibrationError,
    CompileError,
    DataError,
    EngineError,
    FitError,
    ProfileError,
    QpuTwinError,
    short_repr,
)
from qpu_twin.interop import aer as interop_aer
from qpu_twin.interop import backend as interop_backend
from qpu_twin.profiles import edit

NAN, INF = float("nan"), float("inf")
HUGE = 10**30
MAX_SHOTS = qpu_twin.twin.MAX_SHOTS
ROOT = Path(__file__).resolve().parents[1]
QUANTINUUM_FILE = ROOT / "calibration_data" / "quantinuum" / "H1-1__2023_01_20__SPAM.json"
IBM_JOB_DIR = ROOT / "calibration_data" / "ibm_repetition_codes_2022"

MODULES = {
    "qpu_twin": qpu_twin,
    "qpu_twin.profiles": profiles,
    "qpu_twin.data": data,
    "qpu_twin.engines": engines,
    "qpu_twin.benchmark": benchmark,
    "qpu_twin.fit": fit,
    "qpu_twin.calibration": calibration,
    "qpu_twin.interop.aer": interop_aer,
    "qpu_twin.interop.backend": interop_backend,
    "qpu_twin.profiles.edit": edit,
    "qpu_twin.metrics": metrics,
    "qpu_twin.circuit_library": circuit_library,
}


# ============================================================================ wrong values by kind
@dataclass(frozen=True)
class Bad:
    """One wrong value, the error it must raise, and what its message must show."""

    value: Any
    exc: type = ArgumentError
    shows: tuple[str, ...] = ()  # fragments, one of which the message shows (default: forms of the value)
    hint: str = ""  # a further fragment the message must hold (e.g. "did you mean")
    names: tuple[str, ...] = ()  # names the message may use instead of the argument's


def INT(lo=None, hi=None, *, none=False, exc=ArgumentError):
    """Wrong values of an integer argument in [lo, hi] (``none``: None allowed)."""
    out = [Bad("3", exc), Bad(2.5, exc), Bad(True, exc), Bad([1], exc)]
    if not none:
        out.append(Bad(None, exc))
    if lo is not None:
        out.append(Bad(lo - 1, exc))
    if hi is not None:
        out.append(Bad(hi + 1, exc))
        if hi + 1 < HUGE:
            out.append(Bad(HUGE, exc))
    return out


def REAL(lo=None, hi=None, *, none=False, strict=False, exc=ArgumentError):
    """Wrong values of a finite real argument in [lo, hi] (``strict``: lo excluded)."""
    out = [Bad("x", exc), Bad(True, exc), Bad([1.0], exc), Bad(NAN, exc), Bad(INF, exc)]
    if not none:
        out.append(Bad(None, exc))
    if lo is not None:
        out.append(Bad(float(lo) if strict else lo - 1.0, exc))
    if hi is not None:
        out += [Bad(hi + 1.0, exc), Bad(1e30, exc)]
    return out


def BOOL(*, none=False, exc=ArgumentError):
    return [Bad("yes", exc), Bad(2, exc)] + ([] if none else [Bad(None, exc)])


def CHOICE(typo, *, none=False, exc=ArgumentError, typo_exc=None, names=()):
    """A near-miss name (did-you-mean), a wrong type, and None (unless allowed)."""
    out = [Bad(typo, typo_exc or exc, hint="did you mean", names=names), Bad(3, exc, names=names)]
    return out + ([] if none else [Bad(None, exc, names=names)])


def SEED():
    return [Bad(-1), Bad("x"), Bad(2.5), Bad(True), Bad(2**129)]


def PROFILE():
    return [Bad(3), Bad(None), Bad({}), Bad("line55", ProfileError, hint="did you mean"),
            Bad("/nonexistent/dev.yaml", ProfileError)]


def CIRCUIT():
    return [Bad(3), Bad(None), Bad(["x"]), Bad("/nonexistent/c.qasm", CompileError),
            Bad("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", CompileError, shows=("malformed",))]


def QUBIT(n=None):
    out = [Bad("a"), Bad(2.5), Bad(True), Bad(None), Bad(-1)]
    return out + ([Bad(n)] if n is not None else [])


def PATH(*, none=False):
    return [Bad(3), Bad(["a"])] + ([] if none else [Bad(None)])


def DIST(name):
    """Wrong distributions (mapping outcome -> probability or count)."""
    return [Bad("x"), Bad(None), Bad([0.5, 0.5]), Bad({}), Bad({"00": 0.0}, shows=("zero",)),
            Bad({"00": NAN}, shows=("nan",)), Bad({"00": -1.0}, shows=("-1.0",)), Bad({"00": "a"}, shows=("'a'",)),
            Bad({0: 1.0}, shows=("0",))]


def COUNTS():
    return DIST("counts") + [Bad({"00": 1.5}, shows=("1.5",))]


def TYPES(*values, exc=ArgumentError):
    return [Bad(v, exc) for v in values]


# ============================================================================ shared objects
class Ctx:
    """Valid objects the calls need (built once per module, lazily)."""

    tmp: Path

    @cached_property
    def profile(self):
        return qpu_twin.load_profile("line5")

    @cached_property
    def twin(self):
        return qpu_twin.Twin("line5")

    @cached_property
    def bell(self):
        qc = QuantumCircuit(2, 2, name="bell")
        qc.h(0)
        qc.cx(0, 1)
        qc.measure([0, 1], [0, 1])
        return qc

    @cached_property
    def native(self):
        """A native, physical two-qubit circuit of line5."""
        qc = QuantumCircuit(2, 2, name="native")
        qc.x(0)
        qc.cx(0, 1)
        qc.measure([0, 1], [0, 1])
        return qc

    @cached_property
    def result(self):
        return self.twin.run(self.bell, shots=100, seed=1)

    @cached_property
    def backend(self):
        return qpu_twin.TwinBackend(self.twin, seed=1)

    @cached_property
    def mcs(self):
        return [data.MeasuredCircuit("a", self.native, {"00": 40, "11": 950, "01": 10}, True, snapshot="line5"),
                data.MeasuredCircuit("b", self.native, {"00": 30, "11": 960, "10": 10}, True, snapshot="line5")]

    @cached_property
    def ds(self):
        return data.HardwareDataset("walk", "line5", "2024-01-01", tuple(self.mcs), {"line5": self.profile})

    @cached_property
    def report(self):
        models = benchmark.default_models(self.ds, include=["ideal"])
        return benchmark.run_benchmark(self.ds, models, resamples=5, progress=False)

    @cached_property
    def fit_result(self):
        params = fit.default_parameters(self.profile, self.mcs, kinds=["p10"])
        return fit.fit_twin(self.profile, self.mcs, parameters=params, sweeps=0)

    @cached_property
    def prediction(self):
        return fit.predict_with_uncertainty(self.profile, self.native, [], shots=1000, samples=2, seed=1)

    @cached_property
    def t1(self):
        return calibration.T1Experiment(0, [1.0, 50.0, 100.0])

    @cached_property
    def t1_data(self):
        return cal_exp.ExperimentData("T1", (0,), [1.0, 50.0, 100.0, 200.0], [95, 60, 35, 12], [100, 100, 100, 100])

    @cached_property
    def zz_data(self):
        x = np.linspace(0.0, 10.0, 21)
        p0 = 0.5 - 0.45 * np.cos(2 * np.pi * 0.30 * x)
        p1 = 0.5 - 0.45 * np.cos(2 * np.pi * 0.25 * x)
        k = np.round(np.concatenate([p0, p1]) * 400)
        return cal_exp.ExperimentData("ZZ", (0, 1), np.concatenate([x, x]), k, np.full(k.size, 400.0),
                                      np.repeat([0, 1], x.size), {"detuning_mhz": 0.3})

    @cached_property
    def cal_result(self):
        return cal_exp.CalibrationResult("T1", (0,), "t1_us", 90.0, 5.0, "us")

    @cached_property
    def ref(self):
        return edit.ParameterRef("t1_us", (0,))

    @cached_property
    def aer_nm(self):
        return qpu_twin.to_aer_noise_model(self.profile)


@pytest.fixture(autouse=True)
def _time_limit():
    """A wrong value that is not refused must not hang the walk (e.g. 2**(10**30)): fail after 120 s."""
    import signal

    def stop(signum, frame):
        raise TimeoutError("the call ran for 120 s: the wrong value was not refused up front")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    c = Ctx()
    c.tmp = tmp_path_factory.mktemp("walk")
    return c


# ============================================================================ the table
@dataclass
class Entry:
    """One public callable: how to call it, a valid call, and wrong values per argument.

    ``args`` maps a parameter name to its wrong values; ``"**name"`` (a ``**kwargs``
    parameter) maps to wrong extra-keyword dicts. ``names`` gives the words a message
    may use for an argument instead of its parameter name. ``exempt`` maps a
    parameter to the reason it has no wrong values here.
    """

    name: str
    target: Any  # the function or class (signature and coverage)
    call: Callable[[Ctx, dict], Any]
    good: Callable[[Ctx], dict]
    args: dict[str, list[Bad]]
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exempt: dict[str, str] = field(default_factory=dict)


def fn(f):
    """Call a function with keyword arguments."""
    return lambda c, kw: f(**kw)


def good(**kw):
    return lambda c: dict(kw)


def _func(obj):
    """The plain function behind a method/classmethod/staticmethod (for identity and signatures)."""
    return getattr(obj, "__func__", obj)


Twin, TwinBackend, DeviceProfile = qpu_twin.Twin, qpu_twin.TwinBackend, qpu_twin.DeviceProfile
NOISE = [Bad(3, names=("noise",)), Bad("lindbald", hint="did you mean", names=("noise",)),
         Bad({"levle": "aer"}, shows=("levle",), hint="did you mean"), Bad({"idle": "no"}, shows=("'no'",)),
         Bad(["aer"])]
TRANSPILE = [Bad("yes"), Bad(2), Bad(None)]
EXECUTOR = [Bad(3), Bad("dask"), Bad(["pool"])]  # issue #16: None or a concurrent.futures.Executor
CIRCUIT_NAMES = ("circuit", "OpenQASM")
T1_PATH_NAMES = ("path", "file", "dataset", "job")

API: list[Entry] = [
    # ------------------------------------------------------------------ qpu_twin: Twin
    Entry("Twin", Twin, fn(Twin), good(profile="line5"), {
        "profile": PROFILE(),
        "noise": NOISE,
        "engine": CHOICE("density_matrx"),
        "scheduling": CHOICE("alapp"),
        "optimization_level": INT(0, 3, none=True),
        "max_memory_bytes": INT(1, none=True),
        "engine_options": [Bad("x"), Bad(["max_bond"]), Bad({"maxbond": 3}, shows=("maxbond",), hint="did you mean"),
                           Bad({"max_bond": 0}, EngineError, shows=("0",), names=("max_bond",))],
    }),
    Entry("Twin.as_of", Twin.as_of, fn(Twin.as_of), good(device="line5", date="2030-01-01"), {
        "device": [Bad(3), Bad(None), Bad(""), Bad("nodevice", ProfileError)],
        "date": [Bad("notadate"), Bad(None), Bad(3), Bad("1990-01-01", ProfileError, shows=("1990",))],
        "**kwargs": [Bad({"engin": "auto"}, shows=("engin",), hint="did you mean", names=("engin",)),
                     Bad({"engine": "dm"}, shows=("'dm'",), names=("engine",))],
    }),
    Entry("Twin.with_profile", Twin.with_profile, lambda c, kw: c.twin.with_profile(**kw),
          lambda c: {"profile": c.profile}, {"profile": PROFILE()}),
    Entry("Twin.builder", Twin.builder, lambda c, kw: c.twin.builder(**kw), good(noise=None), {"noise": NOISE}),
    *[Entry(f"Twin.{m}", getattr(Twin, m), (lambda m: lambda c, kw: getattr(c.twin, m)(**kw))(m),
            lambda c: {"circuit": c.bell}, {
                "circuit": CIRCUIT(), "transpile": TRANSPILE, "seed": SEED(),
                **({"noise": NOISE} if m in ("program", "density_matrix") else {})},
            names={"circuit": CIRCUIT_NAMES})
      for m in ("compile", "schedule", "program", "density_matrix")],
    Entry("Twin.expectation", Twin.expectation, lambda c, kw: c.twin.expectation(**kw),
          lambda c: {"circuit": c.bell, "observables": "ZZ"}, {
              "circuit": CIRCUIT(), "transpile": TRANSPILE, "seed": SEED(), "noise": NOISE,
              "observables": [Bad(3), Bad(None), Bad("ZQ", shows=("ZQ",)), Bad("ZZZ", shows=("ZZZ",))],
              "engine": CHOICE("pauli_propagaton"),
              "readout": BOOL(),
              "atol": REAL(0),
              "target_error": REAL(0, strict=True, none=True),
              "max_weight": INT(1, none=True),
              "engine_options": [Bad(3), Bad("x"), Bad([1])],
          }, names={"circuit": CIRCUIT_NAMES, "observables": ("observable", "Pauli")}),
    Entry("Twin.layer_noise", Twin.layer_noise, lambda c, kw: c.twin.layer_noise(**kw), lambda c: {"circuit": c.bell}, {
        "circuit": CIRCUIT(), "transpile": TRANSPILE, "seed": SEED(), "noise": NOISE,
        "model": CHOICE("sprase"),
    }, names={"circuit": CIRCUIT_NAMES}),
    Entry("Twin.noise_map", Twin.noise_map, lambda c, kw: c.twin.noise_map(**kw), good(op="rz", qubits=0, params=(0.3,)), {
        "op": CHOICE("sxx"),
        "qubits": [Bad("ab"), Bad(None), Bad(2.5), Bad(True), Bad(5), Bad(-1), Bad([0, 0]),
                   Bad([0, 1], ProfileError, shows=("(0, 1)",))],
        "params": [Bad("x"), Bad(0.3), Bad([NAN], shows=("nan",)), Bad(["a"], shows=("'a'",)), Bad([0.1, 0.2])],
        "duration_ns": REAL(0, none=True),
        "form": CHOICE("superopp"),
        "noise": NOISE,
    }),
    Entry("Twin.run", Twin.run, lambda c, kw: c.twin.run(**kw), lambda c: {"circuits": c.bell}, {
        "circuits": [b for b in CIRCUIT() if b.value != ["x"]] + [
            Bad(["x"], CompileError, shows=("'x'",)), Bad([QuantumCircuit(1), 3], shows=("3",))],
        "shots": INT(1, MAX_SHOTS, none=True),
        "seed": SEED(),
        "transpile": TRANSPILE,
        "engine": CHOICE("density_matrx", none=True),
        "noise": NOISE,
        "progress": BOOL(none=True),
        "executor": EXECUTOR,
    }, names={"circuits": CIRCUIT_NAMES}),
    Entry("Twin.task_spec", Twin.task_spec, lambda c, kw: c.twin.task_spec(**kw), good(), {
        "parent": [Bad(3), Bad("line5")],
    }),
    # ------------------------------------------------------------------ qpu_twin: Result
    *[Entry(f"Result.{m}", getattr(qpu_twin.Result, m), (lambda m: lambda c, kw: getattr(c.result, m)(**kw))(m),
            good(clbits=[0]), {"clbits": [Bad("a"), Bad(None), Bad(0), Bad([2], shows=("2",)), Bad([-1], shows=("-1",)),
                                          Bad([0.5], shows=("0.5",)), Bad([True], shows=("True",))]})
      for m in ("marginal", "expectation_z")],
    # ------------------------------------------------------------------ qpu_twin: NoiseOptions
    Entry("NoiseOptions", qpu_twin.NoiseOptions, fn(qpu_twin.NoiseOptions), good(), {
        "level": CHOICE("lindbald"),
        **{b: BOOL() for b in ("idle", "delays", "zz", "readout", "decoherence", "gate_error", "reset_error",
                               "preparation", "readout_window", "backaction", "spectators", "correlated_readout",
                               "leakage", "quasi_static", "coherent_errors")},
        "zz_scheme": CHOICE("dresed"),
    }),
    Entry("NoiseOptions.coerce", qpu_twin.NoiseOptions.coerce, fn(qpu_twin.NoiseOptions.coerce), good(noise="aer"), {
        "noise": NOISE,
        "**overrides": [Bad({"zzz": True}, shows=("zzz",), names=("zzz",), hint="did you mean"),
                        Bad({"zz": "no"}, shows=("'no'",), names=("zz",))],
    }),
    # ------------------------------------------------------------------ qpu_twin: TwinBackend
    Entry("TwinBackend", TwinBackend, fn(TwinBackend), good(twin="line5"), {
        "twin": [Bad(3), Bad(None), Bad("line55", ProfileError, hint="did you mean")],
        "seed": SEED(),
        "**twin_kwargs": [Bad({"engin": "auto"}, shows=("engin",), hint="did you mean", names=("engin",)),
                          Bad({"scheduling": "fast"}, shows=("fast",), names=("scheduling",))],
    }, names={"twin": ("twin", "profile")}),
    Entry("TwinBackend.run", TwinBackend.run, lambda c, kw: c.backend.run(**kw), lambda c: {"run_input": c.native}, {
        "run_input": [Bad(3), Bad(None), Bad([3], shows=("3",))],
        "**options": [Bad({"shots": 0}, shows=("0",), names=("shots",)),
                      Bad({"shots": "x"}, shows=("'x'",), names=("shots",)),
                      Bad({"shot": 10}, shows=("shot",), names=("shot",), hint="did you mean"),
                      Bad({"memory": "yes"}, shows=("yes",), names=("memory",)),
                      Bad({"seed_simulator": -1}, shows=("-1",), names=("seed_simulator",)),
                      Bad({"transpile": "x"}, shows=("'x'",), names=("transpile",)),
                      Bad({"meas_level": 1}, shows=("1",), names=("meas_level",)),
                      Bad({"parameter_binds": [{}]}, CompileError, shows=("parameter_binds",), names=("parameter_binds",))],
    }, names={"run_input": ("run_input", "circuit")}),
    Entry("to_aer_noise_model", qpu_twin.to_aer_noise_model, fn(qpu_twin.to_aer_noise_model), good(profile="line5"),
          {"profile": PROFILE()}),
    # ------------------------------------------------------------------ profiles
    Entry("load_profile", qpu_twin.load_profile, fn(qpu_twin.load_profile), good(name_or_path="line5"),
          {"name_or_path": PROFILE()}, names={"name_or_path": ("profile",)}),
    Entry("read_profile_file", profiles.read_profile_file, fn(profiles.read_profile_file),
          good(path=ROOT / "device_profiles" / "line5.yaml"),
          {"path": PATH() + [Bad("/nonexistent/p.yaml", ProfileError), Bad("/tmp/x.txt", ProfileError)]},
          names={"path": ("path", "profile file")}),
    Entry("save_profile", profiles.save_profile, fn(profiles.save_profile),
          lambda c: {"profile": c.profile, "path": c.tmp / "p.yaml"},
          {"profile": [Bad(3), Bad(None), Bad("line5")],
           "path": PATH() + [Bad("/tmp/p.txt", ProfileError, shows=(".txt",))]},
          names={"path": ("path", "save profile")}),
    Entry("max_average_infidelity", profiles.max_average_infidelity, fn(profiles.max_average_infidelity),
          good(num_qubits=2), {"num_qubits": INT(1, 64)}),
    Entry("DeviceProfile.qubit", DeviceProfile.qubit, lambda c, kw: c.profile.qubit(**kw), good(index=0),
          {"index": QUBIT()[:4] + [Bad(-1, ProfileError), Bad(5, ProfileError)]}, names={"index": ("index", "qubit")}),
    Entry("DeviceProfile.gate", DeviceProfile.gate, lambda c, kw: c.profile.gate(**kw), good(name="cx", qubits=(0, 1)), {
        "name": [Bad("cxx", ProfileError, hint="did you mean"), Bad(3), Bad(None)],
        "qubits": [Bad("ab"), Bad(3), Bad(None), Bad([0.5, 1]), Bad([0, 3], ProfileError, shows=("(0, 3)",))],
    }, names={"name": ("name", "gate")}),
    Entry("DeviceProfile.has_gate", DeviceProfile.has_gate, lambda c, kw: c.profile.has_gate(**kw),
          good(name="cx", qubits=(0, 1)), {"name": [Bad(3), Bad(None)], "qubits": [Bad("ab"), Bad(3), Bad(None)]}),
    Entry("DeviceProfile.gates_named", DeviceProfile.gates_named, lambda c, kw: c.profile.gates_named(**kw),
          good(name="cx"), {"name": [Bad(3), Bad(None), Bad("cxx", hint="did you mean")]}),
    *[Entry(f"DeviceProfile.{m}", getattr(DeviceProfile, m), (lambda m: lambda c, kw: getattr(c.profile, m)(**kw))(m),
            good(a=0, b=1), {"a": QUBIT()[:4] + [Bad(7, ProfileError)], "b": QUBIT()[:4] + [Bad(-1, ProfileError)]},
            names={"a": ("a", "qubit"), "b": ("b", "qubit")})
      for m in ("is_coupled", "zz_khz")],
    Entry("DeviceProfile.replace", DeviceProfile.replace, lambda c, kw: c.profile.replace(**kw), good(), {
        "**changes": [Bad({"t1_us": 3.0}, ProfileError, shows=("t1_us",), names=("t1_us",)),
                      Bad({"num_qubits": "x"}, ProfileError, shows=("'x'",), names=("num_qubits",)),
                      Bad({"dt_ns": -1.0}, ProfileError, shows=("-1.0",), names=("dt_ns",))],
    }),
    Entry("DeviceProfile.restrict", DeviceProfile.restrict, lambda c, kw: c.profile.restrict(**kw), good(qubits=[0, 1]), {
        "qubits": [Bad("ab"), Bad(3), Bad(None), Bad([]), Bad([0.5]), Bad([0, 0]), Bad([0, 9], ProfileError, shows=("9",))],
        "name": [Bad(3), Bad(""), Bad(["a"])],
    }),
    Entry("DeviceProfile.to_json", DeviceProfile.to_json, lambda c, kw: c.profile.to_json(**kw), good(indent=1),
          {"indent": INT(0, none=True)}),
    Entry("DeviceProfile.save", DeviceProfile.save, lambda c, kw: c.profile.save(**kw),
          lambda c: {"path": c.tmp / "s.yaml"}, {"path": PATH() + [Bad("/tmp/p.txt", ProfileError, shows=(".txt",))]},
          names={"path": ("path", "save profile")}),
    Entry("DeviceProfile.load", DeviceProfile.load, fn(DeviceProfile.load),
          good(path=ROOT / "device_profiles" / "line5.yaml"),
          {"path": PATH() + [Bad("/nonexistent/p.yaml", ProfileError)]}, names={"path": ("path", "profile file")}),
    Entry("DeviceProfile.from_dict", DeviceProfile.from_dict, fn(DeviceProfile.from_dict),
          lambda c: {"data": c.profile.to_dict()},
          {"data": [Bad(3), Bad(None), Bad("x"), Bad({"name": "x"}, ProfileError, shows=("vendor", "missing"),
                                                        names=("vendor", "field"))]}),
    Entry("DeviceProfile.model_validate", DeviceProfile.model_validate, fn(DeviceProfile.model_validate),
          lambda c: {"obj": c.profile.to_dict()},
          {"obj": [Bad(3, ProfileError), Bad("x", ProfileError)]}, names={"obj": ("DeviceProfile",)},
          exempt={"**kwargs": "pydantic's own validation options"}),
    Entry("DeviceProfile.from_text_data", DeviceProfile.from_text_data, fn(DeviceProfile.from_text_data),
          lambda c: {"data": c.profile.to_dict()},
          {"data": [Bad(3, ProfileError), Bad([1, 2], ProfileError)], "source": [Bad(3), Bad(None)]}),
    Entry("DeviceProfile.from_qiskit_backend", DeviceProfile.from_qiskit_backend,
          fn(DeviceProfile.from_qiskit_backend), lambda c: {"backend": c.backend}, {
              "backend": [Bad(3, ProfileError), Bad(None, ProfileError), Bad("ibm_hanoi", ProfileError)],
              "**kwargs": [Bad({"nmae": "x"}, shows=("nmae",), names=("nmae",), hint="did you mean")],
          }),
    Entry("DeviceProfile.from_ibm_properties", DeviceProfile.from_ibm_properties,
          fn(DeviceProfile.from_ibm_properties),
          lambda c: {"properties": _ibm_job()["backend_properties"], "configuration": _ibm_job()["backend_configuration"]}, {
              "properties": [Bad(3), Bad(None), Bad("x")],
              "configuration": [Bad(3), Bad(None), Bad("x")],
              "**kwargs": [Bad({"nmae": "x"}, shows=("nmae",), names=("nmae",), hint="did you mean")],
          }),
    Entry("DeviceProfile.from_cirq_google", DeviceProfile.from_cirq_google,
          fn(DeviceProfile.from_cirq_google), good(processor="rainbow"), {
              "processor": [Bad(3, ProfileError), Bad(None, ProfileError), Bad("rainbw", ProfileError)],
              "**kwargs": [Bad({"nmae": "x"}, shows=("nmae",), names=("nmae",), hint="did you mean")],
          }),
    Entry("DeviceProfile.to_cirq_noise_model", DeviceProfile.to_cirq_noise_model,
          lambda c, kw: c.profile.to_cirq_noise_model(**kw), good(), {
              "**kwargs": [Bad({"qbits": None}, shows=("qbits",), names=("qbits",), hint="did you mean")],
          }),
    Entry("DeviceProfile.from_quantinuum_spec", DeviceProfile.from_quantinuum_spec,
          fn(DeviceProfile.from_quantinuum_spec), good(machine="H1-1", date="2023-01-20"), {
              "machine": [Bad(3), Bad(None), Bad("H9-9", ProfileError)],
              "date": [Bad(3), Bad(None), Bad("20/01/2023", ProfileError)],
              "**kwargs": [Bad({"num_qubit": 3}, shows=("num_qubit",), names=("num_qubit",), hint="did you mean")],
          }),
    # pydantic records: pydantic checks every field's type, the profile validator its range
    # (tests/profiles/test_validation.py); a few spot checks per model that the errors name the field
    Entry("DeviceProfile", DeviceProfile, lambda c, kw: DeviceProfile(**{**c.profile.to_dict(), **kw}), good(), {
        "name": [Bad(3, ProfileError), Bad("", ProfileError, shows=("''",))],
        "num_qubits": [Bad("x", ProfileError), Bad(0, ProfileError), Bad(6, ProfileError, shows=("6",))],
        "timestamp": [Bad("notadate", ProfileError), Bad("2024-01-01T00:00:00", ProfileError, shows=("2024",))],
        "qubits": [Bad(3, ProfileError)],
        "dt_ns": [Bad(-1.0, ProfileError), Bad(NAN, ProfileError, shows=("nan",))],
        "technology": [Bad("superconductor", ProfileError)],
    }, exempt={"**data": "pydantic: every field is type-checked; see tests/profiles/test_validation.py"}),
    Entry("Qubit", qpu_twin.Qubit, fn(qpu_twin.Qubit), good(index=0), {
        "index": [Bad("a", ProfileError), Bad(None, ProfileError), Bad(2.5, ProfileError)],
        "t1_us": [Bad("x", ProfileError), Bad(NAN, ProfileError)],
        "uncertainty": [Bad("x", ProfileError), Bad({"t1_us": "x"}, ProfileError, shows=("'x'",))],
    }, exempt={"**data": "pydantic: every field is type-checked; see tests/profiles/test_validation.py"}),
    Entry("Gate", qpu_twin.Gate, fn(qpu_twin.Gate), good(name="x", qubits=(0,)), {
        "name": [Bad(3, ProfileError), Bad(None, ProfileError)],
        "qubits": [Bad("ab", ProfileError), Bad(3, ProfileError)],
        "error": [Bad("x", ProfileError), Bad(INF, ProfileError)],
    }, exempt={"**data": "pydantic: every field is type-checked; see tests/profiles/test_validation.py"}),
    Entry("ZZCoupling", profiles.ZZCoupling, fn(profiles.ZZCoupling), good(qubits=(0, 1), zz_khz=1.0), {
        "qubits": [Bad((0,), ProfileError), Bad("ab", ProfileError)],
        "zz_khz": [Bad("x", ProfileError), Bad(NAN, ProfileError), Bad(None, ProfileError)],
    }, exempt={"**data": "pydantic: every field is type-checked"}),
    Entry("MeasurementCrosstalk", profiles.MeasurementCrosstalk, fn(profiles.MeasurementCrosstalk), good(error=0.01), {
        "error": [Bad("x", ProfileError), Bad(INF, ProfileError)],
        "measured": [Bad("a", ProfileError)],
    }, exempt={"**data": "pydantic: every field is type-checked"}),
    Entry("ReadoutSpectator", profiles.ReadoutSpectator, fn(profiles.ReadoutSpectator), good(dephasing_rate_mhz=0.01), {
        "dephasing_rate_mhz": [Bad("x", ProfileError), Bad(NAN, ProfileError)],
        "stark_shift_mhz": [Bad("x", ProfileError), Bad(INF, ProfileError)],
        "measured": [Bad("a", ProfileError)],
        "spectator": [Bad(2.5, ProfileError)],
    }, exempt={"**data": "pydantic: every field is type-checked"}),
    Entry("CorrelatedReadout", profiles.CorrelatedReadout, fn(profiles.CorrelatedReadout),
          good(qubits=(0, 1), assignment=((1.0, 0, 0, 0), (0, 1.0, 0, 0), (0, 0, 1.0, 0), (0, 0, 0, 1.0))), {
        "qubits": [Bad((0,), ProfileError), Bad("ab", ProfileError)],
        "assignment": [Bad("x", ProfileError), Bad(((1.0, 0, 0),), ProfileError, shows=("assignment",))],
    }, exempt={"**data": "pydantic: every field is type-checked"}),
    Entry("Crosstalk", profiles.Crosstalk, fn(profiles.Crosstalk), good(), {
        "zz": [Bad(3, ProfileError), Bad([{"qubits": [0]}], ProfileError, shows=("[0]", "qubits"))],
    }, exempt={"**data": "pydantic: every field is type-checked"}),
    Entry("Provenance", profiles.Provenance, fn(profiles.Provenance), good(source="s", method="m"), {
        "source": [Bad(3, ProfileError), Bad(None, ProfileError)],
        "notes": [Bad(3, ProfileError)],
    }, exempt={"**data": "pydantic: every field is type-checked"}),
    Entry("Adjustment", profiles.Adjustment, fn(profiles.Adjustment),
          good(target="qubit 0", field="t1_us", source_value=1, value=2, reason="r"), {
              "target": [Bad(3, ProfileError)], "value": [Bad([1], ProfileError)],
          }, exempt={"**data": "pydantic: every field is type-checked"}),
    # ------------------------------------------------------------------ profiles.edit
    Entry("ParameterRef", edit.ParameterRef, fn(edit.ParameterRef), good(kind="t1_us", target=(0,)), {
        "kind": CHOICE("t1"),
        "target": [Bad("x"), Bad(3), Bad(None), Bad((True,), shows=("True",)), Bad((2.5,), shows=("2.5",)),
                   Bad((0, 1), shows=("(0, 1)",))],
    }),
    *[Entry(f"ParameterRef.{m}", getattr(edit.ParameterRef, m), (lambda m: lambda c, kw: getattr(c.ref, m)(**kw))(m),
            lambda c: {"profile": c.profile}, {"profile": [Bad(3), Bad(None), Bad("line5")]})
      for m in ("get", "stated_uncertainty")],
    Entry("get_value", edit.get_value, fn(edit.get_value), lambda c: {"profile": c.profile, "ref": c.ref},
          {"profile": [Bad(3), Bad(None)], "ref": [Bad("t1_us"), Bad(("t1_us", (0,))), Bad(None)]}),
    Entry("kind_for_field", edit.kind_for_field, fn(edit.kind_for_field), good(entity="qubit", field="t1_us"), {
        "entity": CHOICE("qbit"), "field": [Bad("t1", hint="did you mean"), Bad(3), Bad(None)],
    }),
    Entry("with_values", edit.with_values, fn(edit.with_values), lambda c: {"profile": c.profile, "changes": {c.ref: 80.0}}, {
        "profile": [Bad(3), Bad(None), Bad("line5")],
        "changes": [Bad(3), Bad(None), Bad("x"), Bad([(3, 1.0)], shows=("3",)),
                    Bad({edit.ParameterRef("t1_us", (0,)): "x"}, shows=("'x'",)),
                    Bad({edit.ParameterRef("t1_us", (0,)): NAN}, shows=("nan",)),
                    Bad({edit.ParameterRef("t1_us", (9,)): 80.0}, ProfileError, shows=("9",)),
                    Bad({edit.ParameterRef("t1_us", (0,)): -5.0}, ProfileError, shows=("-5.0",), names=("t1_us",))],
        "name": [Bad(3), Bad(["a"])],
        "timestamp": [Bad(3), Bad(["2024"]), Bad("notadate", ProfileError, shows=("notadate",))],
        "provenance": [Bad("x"), Bad(3), Bad({"source": 3}, ProfileError, shows=("3",), names=("source",))],
        "notes": [Bad(3), Bad("abc"), Bad([3], shows=("3",))],
        "keep_t2_physical": BOOL(),
    }, names={"changes": ("changes", "t1_us")}),
    # ------------------------------------------------------------------ data
    Entry("MeasuredCircuit", data.MeasuredCircuit, fn(data.MeasuredCircuit), lambda c: {"name": "c", "circuit": c.bell}, {
        "name": [Bad(3), Bad(None)],
        "circuit": [Bad(3), Bad(None), Bad("qc")],
        "counts": [Bad("x"), Bad([1, 2]), Bad({"00": -1}, shows=("-1",)), Bad({"00": 1.5}, shows=("1.5",)),
                   Bad({"00": NAN}, shows=("nan",)), Bad({0: 5}, shows=("0",)), Bad({"00": True}, shows=("True",))],
        "physical": BOOL(),
        "answer": [Bad(3), Bad(["00"])],
        "snapshot": [Bad(3), Bad(["a"])],
        "meta": [Bad("x"), Bad(None), Bad([1])],
    }),
    Entry("HardwareDataset.subset", data.HardwareDataset.subset, lambda c, kw: c.ds.subset(**kw), good(n=1),
          {"n": INT(0, none=True)}),
    Entry("load_dataset", data.load_dataset, fn(data.load_dataset), good(path=IBM_JOB_DIR),
          {"path": PATH() + [Bad("/nonexistent/ds", DataError)]}, names={"path": T1_PATH_NAMES}),
    Entry("save_dataset", data.save_dataset, fn(data.save_dataset), lambda c: {"ds": c.ds, "folder": c.tmp / "ds"}, {
        "ds": [Bad(3), Bad(None), Bad("walk")],
        "folder": PATH(),
    }, names={"ds": ("ds", "dataset")}),
    Entry("load_ibm_job", data.load_ibm_job, fn(data.load_ibm_job),
          good(path=next(iter(sorted(IBM_JOB_DIR.glob("*.json"))))),
          {"path": PATH() + [Bad("/nonexistent/job.json", DataError)]}, names={"path": T1_PATH_NAMES}),
    Entry("dataset_from_backend", data.dataset_from_backend, fn(data.dataset_from_backend),
          lambda c: {"backend": c.backend, "circuits": [c.bell]}, {
              "backend": [Bad(3), Bad(None), Bad("ibm_hanoi")],
              "circuits": [Bad(3), Bad(None), Bad("x"), Bad([3], shows=("3",)), Bad([])],
              "shots": INT(1, MAX_SHOTS),
              "seed": SEED(),
              "name": [Bad(3), Bad(""), Bad(["a"])],
          }),
    # ------------------------------------------------------------------ engines
    Entry("get_engine", engines.get_engine, fn(engines.get_engine), good(name="density_matrix"), {
        "name": CHOICE("density_matrx", exc=EngineError, names=("engine",)),
        "**options": [Bad({"foo": 1}, EngineError, shows=("foo",), names=("foo",))],
    }, names={"name": ("engine",)}),
    Entry("register_engine", engines.register_engine, fn(engines.register_engine),
          good(name="density_matrix", factory=engines.DensityMatrixEngine), {
              "name": [Bad(3), Bad(None), Bad("")],
              "factory": [Bad("x"), Bad(None), Bad(3)],
          }),
    Entry("Engine", engines.Engine, fn(engines.Engine), good(), {
        "**options": [Bad({"foo": 1}, EngineError, shows=("foo",), names=("foo",))],
    }),
    Entry("DensityMatrixEngine", engines.DensityMatrixEngine, fn(engines.DensityMatrixEngine), good(), {
        "max_memory_bytes": INT(1, none=True, exc=EngineError),
        "save_state": BOOL(exc=EngineError),
        "progress": BOOL(none=True, exc=EngineError),
    }),
    *[Entry(cls.__name__, cls, fn(cls), good(), {
        "max_bond": INT(1, none=True, exc=EngineError),
        "cutoff": [Bad(v, EngineError) for v in ("x", True, None, NAN, -1.0, 1.0)],
        "max_enumerate": INT(0, 30, exc=EngineError),
        "warn_threshold": [Bad(v, EngineError) for v in ("x", True, NAN, -1.0)],
        "progress": BOOL(none=True, exc=EngineError),
    }) for cls in (engines.TensorNetworkEngine, engines.QuimbMPDOEngine)],
    Entry("TrajectoryEngine", engines.TrajectoryEngine, fn(engines.TrajectoryEngine), good(), {
        "trajectories": INT(1, 10**9, exc=EngineError),
        "batch_size": INT(1, 10**6, exc=EngineError),
        "max_bond": INT(1, 10**6, none=True, exc=EngineError),
        "cutoff": [Bad(v, EngineError) for v in ("x", True, NAN, -1.0, 1.0)],
        "max_enumerate": INT(0, 24, exc=EngineError),
        "warn_threshold": [Bad(v, EngineError) for v in ("x", True, NAN, -1.0)],
        "observables": [Bad(3, EngineError), Bad("ZZ", EngineError), Bad({}, EngineError)],
        "bitstrings": [Bad(3, EngineError), Bad("01", EngineError), Bad(["0x"], EngineError, shows=("0x",))],
        "progress": BOOL(none=True, exc=EngineError),
        "**unknown": [Bad({"trajectorie": 3}, EngineError, shows=("trajectorie",), names=("trajectorie",))],
    }, names={}),
    # ------------------------------------------------------------------ metrics
    *[Entry(f, getattr(metrics, f), fn(getattr(metrics, f)), good(p={"00": 0.5, "11": 0.5}, q={"00": 3, "01": 1}),
            {"p": DIST("p"), "q": DIST("q")}) for f in ("hellinger", "tvd")],
    Entry("heavy_outputs", metrics.heavy_outputs, fn(metrics.heavy_outputs), good(ideal={"00": 0.7, "11": 0.3}, num_bits=2), {
        "ideal": DIST("ideal") + [Bad({"0a": 1.0}, shows=("0a",)), Bad({"000": 1.0}, shows=("000",))],
        "num_bits": INT(1, 24),
    }),
    *[Entry(f, getattr(metrics, f), fn(getattr(metrics, f)), good(ideal={"00": 0.7, "11": 0.3}, q={"00": 3, "01": 1}),
            {"ideal": DIST("ideal"), "q": DIST("q") + [Bad({"000": 1.0}, shows=("000",))]})
      for f in ("heavy_output_probability", "linear_xeb")],
    Entry("success_probability", metrics.success_probability, fn(metrics.success_probability),
          good(q={"00": 3, "01": 1}, answer="00"),
          {"q": DIST("q"), "answer": [Bad(3), Bad(None), Bad("0"), Bad("0x", shows=("0x",))]}),
    Entry("bootstrap_metric", metrics.bootstrap_metric, fn(metrics.bootstrap_metric),
          good(metric="tvd", prediction={"00": 0.5, "11": 0.5}, counts={"00": 40, "11": 60}), {
              "metric": CHOICE("helinger"),
              "prediction": DIST("prediction"),
              "counts": COUNTS(),
              "resamples": INT(1, 10**6),
              "rng": [Bad("x"), Bad(3), Bad(np.random.SeedSequence(1))],
          }),
    # ------------------------------------------------------------------ circuit library
    Entry("circuit_library.ghz", circuit_library.ghz, fn(circuit_library.ghz), good(n=3), {
        "n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS), "measure": BOOL(), "name": [Bad(3), Bad(""), Bad(["a"])],
    }),
    Entry("live_graph", circuit_library.live_graph, fn(circuit_library.live_graph), good(profile="line5"),
          {"profile": PROFILE()}),
    Entry("ghz_on_device", circuit_library.ghz_on_device, fn(circuit_library.ghz_on_device), good(profile="line5", n=3), {
        "profile": PROFILE(),
        "n": INT(1) + [Bad(6, CompileError)],
        "root": [Bad("a"), Bad(2.5), Bad(True), Bad(-1), Bad(5)],
        "measure": BOOL(),
    }),
    Entry("hardware_efficient", circuit_library.hardware_efficient, fn(circuit_library.hardware_efficient),
          good(profile="line5", layers=1), {
              "profile": PROFILE(),
              "layers": INT(0, 10**6),
              "seed": SEED(),
              "measure": BOOL(),
              "entanglement": CHOICE("tre"),
          }),
    Entry("brickwork", circuit_library.brickwork, fn(circuit_library.brickwork), good(n=3, layers=2, seed=1), {
        "n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS), "layers": INT(0, 10**6), "seed": SEED(),
    }),
    Entry("edge_rounds", circuit_library.edge_rounds, fn(circuit_library.edge_rounds), good(edges=[(0, 1), (1, 2)]), {
        "edges": [Bad(3), Bad(None), Bad("01"), Bad([(0, 0)]), Bad([(0, 1, 2)]), Bad([(0, -1)]), Bad([(0, 1.5)]),
                  Bad([(True, 1)])],
    }),
    # ------------------------------------------------------------------ benchmark
    Entry("benchmark.ghz", benchmark.ghz, fn(benchmark.ghz), good(n=3), {"n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS)}),
    Entry("mirror", benchmark.mirror, fn(benchmark.mirror), good(n=2, layers=1), {
        "n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS), "layers": INT(0, 10**6), "seed": SEED(),
    }),
    Entry("quantum_volume", benchmark.quantum_volume, fn(benchmark.quantum_volume), good(n=2), {
        "n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS), "seed": SEED(),
    }),
    Entry("bernstein_vazirani", benchmark.bernstein_vazirani, fn(benchmark.bernstein_vazirani), good(secret="101"), {
        "secret": [Bad(3), Bad(None), Bad(""), Bad("012"), Bad(["1"])],
    }),
    Entry("qft_roundtrip", benchmark.qft_roundtrip, fn(benchmark.qft_roundtrip), good(n=2, value=1), {
        "n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS),
        "value": INT(0) + [Bad(4, shows=("4",))],
    }),
    Entry("standard_suite", benchmark.standard_suite, fn(benchmark.standard_suite), good(n=2), {
        "n": INT(1, circuit_library.MAX_CIRCUIT_QUBITS), "seed": SEED(),
    }),
    Entry("default_models", benchmark.default_models, fn(benchmark.default_models),
          lambda c: {"ds": c.ds, "include": ["ideal"]}, {
              "ds": [Bad(3), Bad(None), Bad("walk")],
              "profile": [Bad(3), Bad("line55", ProfileError)],
              "aer_shots": INT(1, MAX_SHOTS),
              "seed": SEED(),
              "include": [Bad("ideal"), Bad(3), Bad([3], shows=("3",)),
                          Bad(["twin_lindbald"], BenchmarkError, shows=("'twin_lindbald'",), hint="did you mean",
                              names=("model",))],
          }, names={"ds": ("ds", "dataset")}),
    Entry("run_benchmark", benchmark.run_benchmark, fn(benchmark.run_benchmark),
          lambda c: {"ds": c.ds, "include": ["ideal"], "resamples": 5}, {
              "ds": [Bad(3), Bad(None), Bad("walk")],
              "models": [Bad("ideal"), Bad(3), Bad([3], shows=("3",))],
              "profile": [Bad(3), Bad("line55", ProfileError)],
              "resamples": INT(1, 10**6),
              "seed": SEED(),
              "progress": BOOL(none=True),
              "checkpoint": PATH(none=True),
              "checkpoint_every_s": REAL(0, none=True),
              "keep_checkpoint": BOOL(),
              "resume": BOOL() + [Bad(True, BenchmarkError, shows=("resume=True",), names=("checkpoint",))],
              "executor": EXECUTOR,
              "retries": INT(0),
              "**model_kw": [Bad({"aer_shot": 10}, shows=("aer_shot",), names=("aer_shot",), hint="did you mean")],
          }, names={"ds": ("ds", "dataset")}),
    Entry("write_report", benchmark.write_report, fn(benchmark.write_report),
          lambda c: {"report": c.report, "ds": c.ds, "folder": c.tmp / "report", "examples": 0}, {
              "report": [Bad(3), Bad(None), Bad({})],
              "ds": [Bad(3), Bad(None)],
              "folder": PATH(),
              "models": [Bad("x"), Bad([3], shows=("3",))],
              "examples": INT(0, none=False),
          }, names={"ds": ("ds", "dataset")}),
    # ------------------------------------------------------------------ fit
    Entry("FitParameter", fit.FitParameter, fn(fit.FitParameter), good(kind="p10", target=(0,), value=0.01), {
        "kind": CHOICE("p1"),
        "target": [Bad("x"), Bad(None), Bad((2.5,), shows=("2.5",))],
        "value": REAL(),
        "stderr": [Bad("x"), Bad(True), Bad(-1.0), Bad(None)],
        "prior_value": [Bad("x"), Bad(True), Bad(None)],
        "prior_sigma": [Bad("x"), Bad(True), Bad(-1.0), Bad(None)],
        "at_bound": BOOL(),
    }),
    Entry("default_parameters", fit.default_parameters, fn(fit.default_parameters),
          lambda c: {"profile": c.profile, "circuits": c.mcs}, {
              "profile": [Bad(3), Bad(None), Bad("line55", ProfileError)],
              "circuits": [Bad(3), Bad(None), Bad([QuantumCircuit(1)], shows=("QuantumCircuit",))],
              "kinds": [Bad("p10"), Bad(3), Bad(["p1"], FitError, shows=("'p1'",), hint="did you mean", names=("kind",)),
                        Bad([3], shows=("=3",))],
          }),
    Entry("fit_twin", fit.fit_twin, fn(fit.fit_twin), lambda c: {"profile": c.profile, "circuits": c.mcs, "sweeps": 0}, {
        "profile": [Bad(3), Bad(None), Bad("line55", ProfileError)],
        "circuits": [Bad(3), Bad(None), Bad([QuantumCircuit(1)], shows=("QuantumCircuit",)),
                     Bad([], FitError, shows=("no circuit",), names=("circuit",))],
        "parameters": [Bad("x"), Bad(3), Bad([3], shows=("3",))],
        "kinds": [Bad("p10"), Bad(["p1"], FitError, shows=("'p1'",), hint="did you mean", names=("kind",))],
        "noise": NOISE,
        "sweeps": INT(0, 1000),
        "evals": INT(1),
        "progress": BOOL(),
        "timestamp": [Bad(3), Bad("notadate"), Bad(["2024"])],
        "checkpoint": PATH(none=True),
        "keep_checkpoint": BOOL(),
        "resume": BOOL() + [Bad(True, FitError, shows=("resume=True",), names=("checkpoint",))],
        "executor": EXECUTOR,
        "retries": INT(0),
    }),
    Entry("profile_with", fit.profile_with, fn(fit.profile_with), lambda c: {"profile": c.profile, "params": []}, {
        "profile": [Bad(3), Bad(None)],
        "params": [Bad(3), Bad("x"), Bad([3], shows=("3",))],
        "name": [Bad(3), Bad(["a"])],
    }),
    Entry("posterior_from_fit", fit.posterior_from_fit, fn(fit.posterior_from_fit), lambda c: {"fit": c.fit_result},
          {"fit": [Bad(3), Bad(None), Bad([])]}),
    Entry("posterior_from_profile", fit.posterior_from_profile, fn(fit.posterior_from_profile), good(profile="line5"),
          {"profile": PROFILE()}),
    Entry("predict_with_uncertainty", fit.predict_with_uncertainty, fn(fit.predict_with_uncertainty),
          lambda c: {"profile": c.profile, "circuit": c.native, "posterior": [], "shots": 100, "samples": 2}, {
              "profile": PROFILE(),
              "circuit": CIRCUIT(),
              "posterior": [Bad(3), Bad("x"), Bad([3], shows=("3",))],
              "shots": INT(1, MAX_SHOTS),
              "samples": INT(1, 100_000),
              "level": REAL(0, 1, strict=True) + [Bad(1.0)],
              "seed": SEED(),
              "transpile": TRANSPILE,
              "noise": NOISE,
              "executor": EXECUTOR,
              "retries": INT(0),
          }, names={"circuit": CIRCUIT_NAMES}),
    Entry("consistency_test", fit.consistency_test, fn(fit.consistency_test),
          lambda c: {"pred": c.prediction, "counts": {"11": 1000}}, {
              "pred": [Bad(3), Bad(None), Bad({})],
              "counts": COUNTS() + [Bad({"11": 10}, shows=("10",), names=("shots",))],
          }),
    # ------------------------------------------------------------------ calibration
    Entry("design_experiment", calibration.design_experiment, fn(calibration.design_experiment),
          lambda c: {"name": "t1", "profile": c.profile, "qubits": [0]}, {
              "name": CHOICE("t11", exc=ArgumentError, typo_exc=CalibrationError, names=("experiment",)),
              "profile": [Bad(3), Bad(None), Bad("line55", ProfileError)],
              "qubits": [Bad("ab"), Bad(None), Bad(3), Bad([0.5]), Bad([9], shows=("9",)),
                         Bad([0, 1], CalibrationError, shows=("[0, 1]",))],
              "seed": SEED(),
          }, names={"name": ("name", "experiment")}),
    Entry("analyse_quantinuum_file", calibration.analyse_quantinuum_file, fn(calibration.analyse_quantinuum_file),
          good(path=QUANTINUUM_FILE), {
              "path": PATH() + [Bad("/nonexistent/x.json", DataError)],
              "bootstrap": INT(0, 10**6),
              "seed": SEED(),
          }, names={"path": T1_PATH_NAMES}),
    Entry("load_quantinuum", calibration.load_quantinuum, fn(calibration.load_quantinuum), good(path=QUANTINUUM_FILE),
          {"path": PATH() + [Bad("/nonexistent/x.json", DataError)], "kind": CHOICE("SPAAM", none=True)},
          names={"path": T1_PATH_NAMES}),
    Entry("apply_results", calibration.apply_results, fn(calibration.apply_results),
          lambda c: {"profile": c.profile, "results": [c.cal_result]}, {
              "profile": [Bad(3), Bad(None), Bad("line55", ProfileError)],
              "results": [Bad(3), Bad(None), Bad("x"), Bad([3], shows=("3",))],
              "timestamp": [Bad(3), Bad("notadate"), Bad(["2024"])],
              "gate_names": [Bad("x"), Bad(3)],
              "min_quality": CHOICE("goood"),
          }),
    *[Entry(f, getattr(calibration, f), fn(getattr(calibration, f)), good(device="line5"), {
        "device": [Bad(3), Bad(None), Bad(""), Bad("nodevice", ProfileError)],
    }) for f in ("calibration_history", "drift_summary")],
    Entry("profile_as_of", calibration.profile_as_of, fn(calibration.profile_as_of), good(device="line5", date="2030-01-01"), {
        "device": [Bad(3), Bad(None), Bad("nodevice", ProfileError)],
        "date": [Bad("notadate"), Bad(None), Bad(3), Bad("1990-01-01", ProfileError, shows=("1990",))],
    }),
    Entry("save_to_history", calibration.save_to_history, fn(calibration.save_to_history),
          lambda c: {"profile": c.profile, "folder": c.tmp / "hist"}, {
              "profile": [Bad(3), Bad(None), Bad("line5")],
              "folder": PATH(none=True),
          }),
    Entry("ExperimentData", cal_exp.ExperimentData, fn(cal_exp.ExperimentData),
          good(experiment="T1", qubits=(0,), x=[1.0, 2.0], k=[5, 3], n=[10, 10]), {
              "experiment": [Bad(3), Bad(None)],
              "qubits": [Bad("ab"), Bad(None), Bad([-1])],
              "x": [Bad("abc"), Bad(None), Bad([1.0, NAN], shows=("nan",)), Bad([1.0], CalibrationError, shows=("(1,)",))],
              "k": [Bad("ab"), Bad([5, 11], CalibrationError, shows=("11",)), Bad([-1, 3], CalibrationError, shows=("-1",))],
              "n": [Bad("ab"), Bad([10, -1], CalibrationError, shows=("-1",))],
              "series": [Bad("ab"), Bad([0, 1, 2], CalibrationError, shows=("(3,)",))],
              "meta": [Bad("x"), Bad(None)],
              "source": [Bad(3), Bad(None)],
              "timestamp": [Bad("2024"), Bad(3)],
          }),
    Entry("Experiment", cal_exp.Experiment, fn(cal_exp.Experiment), good(qubits=[0]), {
        "qubits": [Bad("ab"), Bad(None), Bad(3), Bad([0.5]), Bad([-1]), Bad([0, 0]), Bad([])],
    }),
    *[Entry(cls.__name__, cls, fn(cls), good(qubit=0, delays_us=[1.0, 2.0]), {
        "qubit": QUBIT(),
        "delays_us": [Bad("abc"), Bad(3), Bad(None), Bad([]), Bad([-1.0], shows=("-1.0",)), Bad([NAN], shows=("nan",)),
                      Bad([[1.0]])],
        **({"detuning_mhz": REAL()} if cls is calibration.RamseyExperiment else {}),
    }) for cls in (calibration.T1Experiment, calibration.RamseyExperiment, calibration.HahnEchoExperiment)],
    Entry("ReadoutExperiment", calibration.ReadoutExperiment, fn(calibration.ReadoutExperiment), good(qubit=0),
          {"qubit": QUBIT()}),
    Entry("RBExperiment", calibration.RBExperiment, fn(calibration.RBExperiment), good(qubits=[0], lengths=[1, 5]), {
        "qubits": [Bad("ab"), Bad(None), Bad([0, 0]), Bad([0.5]), Bad([0, 1, 2], CalibrationError, shows=("3 qubits",))],
        "lengths": [Bad("a"), Bad(None), Bad(3), Bad([]), Bad([-1], shows=("-1",)), Bad([2.5], shows=("2.5",)),
                    Bad([True], shows=("True",))],
        "num_samples": INT(1, 10**6),
        "seed": SEED(),
    }),
    Entry("ZZExperiment", calibration.ZZExperiment, fn(calibration.ZZExperiment),
          good(control=0, target=1, delays_us=[1.0, 2.0]), {
              "control": QUBIT(),
              "target": QUBIT() + [Bad(0, shows=("0",))],
              "delays_us": [Bad("abc"), Bad(None), Bad([]), Bad([-1.0], shows=("-1.0",))],
              "detuning_mhz": REAL(),
          }),
    *[Entry(f"{cls.__name__}.circuits", cls.circuits, (lambda mk: lambda c, kw: mk().circuits(**kw))(mk), good(), {
        "dt_s": REAL(0, strict=True, none=True),
    }) for cls, mk in ((calibration.T1Experiment, lambda: calibration.T1Experiment(0, [1.0])),
                       (calibration.RamseyExperiment, lambda: calibration.RamseyExperiment(0, [1.0])),
                       (calibration.HahnEchoExperiment, lambda: calibration.HahnEchoExperiment(0, [1.0])),
                       (calibration.ReadoutExperiment, lambda: calibration.ReadoutExperiment(0)),
                       (calibration.RBExperiment, lambda: calibration.RBExperiment([0], [1, 2])),
                       (calibration.ZZExperiment, lambda: calibration.ZZExperiment(0, 1, [1.0])))],
    Entry("Experiment.run", cal_exp.Experiment.run, lambda c, kw: c.t1.run(**kw), lambda c: {"target": c.twin, "shots": 10}, {
        "target": [Bad(3, CalibrationError), Bad(None, CalibrationError), Bad("line5", CalibrationError)],
        "shots": INT(1, MAX_SHOTS),
        "seed": SEED(),
        "executor": EXECUTOR,
    }),
    *[Entry(f"{cls.__name__}.analyse", cls.analyse, (lambda cls: lambda c, kw: cls.analyse(**kw))(cls),
            (lambda cls: lambda c: {"data": c.zz_data if cls is calibration.ZZExperiment else c.t1_data})(cls), {
                "data": [Bad(3), Bad(None), Bad({})],
                "**kw": [Bad({"bootstrap": 5}, shows=("bootstrap",), names=("bootstrap",))]
                if cls is calibration.ReadoutExperiment else
                [Bad({"bootstap": 5}, shows=("bootstap",), names=("bootstap",), hint="did you mean"),
                 Bad({"p0": [1.0]}, shows=("p0",), names=("p0",))],
            }) for cls in (calibration.T1Experiment, calibration.RamseyExperiment, calibration.HahnEchoExperiment,
                           calibration.ReadoutExperiment, calibration.ZZExperiment)],
    Entry("RBExperiment.analyse", calibration.RBExperiment.analyse,
          lambda c, kw: calibration.RBExperiment.analyse(**kw), lambda c: {"data": c.t1_data}, {
              "data": [Bad(3), Bad(None)],
              "epg_1q": REAL(0, 1),
              "bootstrap": INT(0, 10**6),
              "seed": SEED(),
              "**kw": [Bad({"bootstap": 5}, shows=("bootstap",), names=("bootstap",), hint="did you mean")],
          }),
    Entry("fit_binomial", calibration.fit_binomial, fn(calibration.fit_binomial),
          good(fn=calibration.fitting.exp_decay, x=[1.0, 2.0, 3.0, 4.0], k=[9, 7, 5, 4], n=[10, 10, 10, 10],
               names=["a", "tau", "b"], p0=[1.0, 2.0, 0.0], bounds=([0, 0.1, -1], [2, 100, 1])), {
              "fn": [Bad("x"), Bad(None), Bad(3)],
              "x": [Bad("abc"), Bad(None), Bad([1.0, NAN, 3.0, 4.0], shows=("nan",)),
                    Bad([1.0], CalibrationError, shows=("(1,)",))],
              "k": [Bad("abc"), Bad([9, 11, 5, 4], CalibrationError, shows=("0 <= k <= n",), names=("k",))],
              "n": [Bad("abc"), Bad([10, 0, 10, 10], CalibrationError, shows=("n > 0",), names=("n",))],
              "names": [Bad("a"), Bad(3), Bad(["a", "b"], shows=("2",)), Bad([1, 2, 3], shows=("1",))],
              "p0": [Bad("x"), Bad([1.0, 2.0], shows=("2",)), Bad([1.0, NAN, 0.0], shows=("nan",))],
              "bounds": [Bad("x"), Bad(([0, 0.1], [2, 100]), shows=("2",)), Bad(([0, 0.1, -1], [2, 0.0, 1]), shows=("0.1",))],
              "model": [Bad(3), Bad(None)],
              "bootstrap": INT(0, 10**6),
              "groups": [Bad("x"), Bad([0, 1], shows=("2",))],
              "seed": SEED(),
          }),
    # ------------------------------------------------------------------ interop.aer
    Entry("aer_gate_errors", interop_aer.aer_gate_errors, fn(interop_aer.aer_gate_errors), good(profile="line5"),
          {"profile": PROFILE()}),
    *[Entry(f, getattr(interop_aer, f), fn(getattr(interop_aer, f)), good(profile="line5", name="cx", qubits=(0, 1)), {
        "profile": PROFILE(),
        "name": [Bad(3), Bad(None), Bad("cxx", ProfileError, hint="did you mean")],
        "qubits": [Bad("ab"), Bad(3), Bad(None), Bad([0, 9], shows=("9",)), Bad([0, 3], ProfileError, shows=("(0, 3)",))],
    }, names={"name": ("name", "gate")}) for f in ("aer_gate_error", "aer_gate_superop")],
    Entry("aer_noise_model_from_ibm_properties", interop_aer.aer_noise_model_from_ibm_properties,
          fn(interop_aer.aer_noise_model_from_ibm_properties), lambda c: {"properties": _ibm_props()}, {
              "properties": [Bad(3), Bad(None), Bad("x"), Bad({}, DataError, shows=("properties",))],
              "configuration": [Bad(3), Bad("x")],
          }),
    Entry("aer_exact_distribution", interop_aer.aer_exact_distribution, fn(interop_aer.aer_exact_distribution),
          lambda c: {"compiled": c.native, "noise_model": c.aer_nm}, {
              "compiled": [Bad(3), Bad(None), Bad("OPENQASM 2.0;")],
              "noise_model": [Bad("x"), Bad(3)],
          }, names={"compiled": ("compiled", "circuit")}),
    Entry("measures_only_at_end", interop_aer.measures_only_at_end, fn(interop_aer.measures_only_at_end),
          lambda c: {"circuit": c.bell}, {"circuit": [Bad(3), Bad(None), Bad("x")]}),
]


@__import__("functools").lru_cache(maxsize=1)
def _ibm_job() -> dict:
    import json

    return json.loads(next(iter(sorted(IBM_JOB_DIR.glob("*.json")))).read_text())


def _ibm_props() -> dict:
    return _ibm_job()["backend_properties"]


#: Names of the listed ``__all__`` that the walk does not call, with the reason.
EXEMPT = {
    # version string and constants / data tables
    "qpu_twin.__version__": "a string",
    "qpu_twin.profiles.SCHEMA_VERSION": "a constant",
    "qpu_twin.profiles.GATE_SPECS": "a constant table",
    "qpu_twin.profiles.edit.KINDS": "a constant table",
    "qpu_twin.calibration.EXPERIMENTS": "a constant table",
    "qpu_twin.circuit_library.MAX_CIRCUIT_QUBITS": "a constant",
    # the exception and warning classes themselves
    **{f"qpu_twin.{n}": "an exception or warning class" for n in (
        "ArgumentError", "BenchmarkError", "CalibrationError", "CostWarning", "DataError", "FitError", "Interrupted",
        "CompileError", "DecoherenceWarning", "EngineError", "ProfileError", "ProfileWarning", "QpuTwinError")},
    "qpu_twin.engines.TruncationWarning": "a warning class",
    # frozen result records the package builds (users read them; methods without arguments)
    "qpu_twin.Result": "result record built by Twin.run (its methods with arguments are walked)",
    "qpu_twin.engines.EngineOutput": "result record built by engines",
    "qpu_twin.data.HardwareDataset": "data record (its subset() is walked; loaders validate the files)",
    "qpu_twin.data.IBMJob": "data record built by load_ibm_job",
    "qpu_twin.benchmark.BenchmarkReport": "result record built by run_benchmark",
    "qpu_twin.benchmark.Model": "a named predictor record (name + callable), built by default_models",
    "qpu_twin.fit.FitResult": "result record built by fit_twin",
    "qpu_twin.calibration.CalibrationResult": "result record built by the analyses",
    "qpu_twin.calibration.CurveFit": "result record built by fit_binomial",
    "qpu_twin.interop.backend.TwinJob": "a finished job built by TwinBackend.run",
    "qpu_twin.profiles.GateSpec": "static facts of a gate name (the GATE_SPECS table)",
    "qpu_twin.profiles.edit.KindSpec": "static facts of a parameter kind (the KINDS table)",
    "qpu_twin.profiles.Technology": "an Enum (profile validation checks its values)",
}

#: Public methods of walked classes that the walk does not call, with the reason.
EXEMPT_METHODS = {
    "DeviceProfile.model_validate_json": "pydantic API",
    "Engine.run": "interface (subclasses run NoisyPrograms the twin builds)",
    "Engine.check": "interface (subclasses check NoisyPrograms the twin builds)",
    "Engine.check_size": "called by the twin with sizes it computed",
    "DensityMatrixEngine.run": "runs NoisyPrograms the twin builds",
    "DensityMatrixEngine.check": "checks NoisyPrograms the twin builds",
    "DensityMatrixEngine.check_size": "called by the twin with sizes it computed",
    "DensityMatrixEngine.memory_estimate": "cost model, called with sizes the twin computed",
    "DensityMatrixEngine.time_estimate": "cost model, called with sizes the twin computed",
    "TensorNetworkEngine.run": "runs NoisyPrograms the twin builds",
    "TrajectoryEngine.run": "runs NoisyPrograms the twin builds",
    "TrajectoryEngine.check": "checks NoisyPrograms the twin builds",
    "TrajectoryEngine.check_size": "called by the twin with sizes it computed",
    "TensorNetworkEngine.check": "checks NoisyPrograms the twin builds",
    "TensorNetworkEngine.check_size": "called by the twin with sizes it computed",
    "QuimbMPDOEngine.run": "runs NoisyPrograms the twin builds",
    "QuimbMPDOEngine.check": "checks NoisyPrograms the twin builds",
    "QuimbMPDOEngine.check_size": "called by the twin with sizes it computed",
    "Experiment.circuits": "interface (each experiment's circuits is walked)",
    "Experiment.analyse": "interface (each experiment's analyse is walked)",
    "TwinBackend.set_options": "Qiskit's BackendV2 API (options are checked by TwinBackend.run)",
}


def _cases():
    out = []
    for e in API:
        for arg, bads in e.args.items():
            for i, b in enumerate(bads):
                out.append(pytest.param(e, arg, b, id=f"{e.name}-{arg}-{i}-{_short_id(b.value)}"))
    return out


def _short_id(v) -> str:
    text = short_repr(v, 24)
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)[:24]


def _names(msg: str, name: str) -> bool:
    """``name`` occurs in ``msg`` (case-insensitive) starting a word; names of 1-2 letters as whole words."""
    import re

    tail = r"(?![A-Za-z0-9_])" if len(name) <= 2 else ""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}{tail}", msg, flags=re.IGNORECASE) is not None


def _value_forms(v) -> set[str]:
    forms = {short_repr(v), repr(v), str(v)}
    if isinstance(v, float):
        forms.add(repr(float(v)))
    return forms


@pytest.mark.parametrize("entry,arg,bad", _cases())
def test_bad_argument(ctx, entry: Entry, arg: str, bad: Bad):
    kw = entry.good(ctx)
    if arg.startswith("**"):
        kw.update(bad.value)
    else:
        kw[arg] = bad.value
    with pytest.raises(QpuTwinError) as info:
        entry.call(ctx, kw)
    err = info.value
    msg = str(err)
    assert type(err) is bad.exc or isinstance(err, bad.exc), f"{type(err).__name__} is not {bad.exc.__name__}: {msg}"
    names = bad.names or entry.names.get(arg, ()) or (arg.lstrip("*"),)
    if bad.names and arg in entry.names:
        names = (*bad.names, *entry.names[arg])
    assert any(_names(msg, n) for n in names), f"message does not name {names}: {msg}"
    shows = bad.shows or tuple(_value_forms(bad.value))
    assert any(s in msg for s in shows), f"message does not show the value ({shows}): {msg}"
    if bad.hint:
        assert bad.hint in msg, f"message lacks {bad.hint!r}: {msg}"
    if isinstance(err, ArgumentError):
        assert isinstance(err, ValueError) and isinstance(err, TypeError)


@pytest.mark.parametrize("entry", API, ids=[e.name for e in API])
def test_good_call_runs(ctx, entry: Entry):
    """The valid call of every entry works (so the wrong values above are what fails)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        entry.call(ctx, entry.good(ctx))


# ============================================================================ meta-tests
def _covered():
    return {id(_func(e.target)) for e in API}


def _is_error_or_warning(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, (BaseException, Warning))


@pytest.mark.parametrize("modname", list(MODULES))
def test_every_public_name_is_walked_or_exempt(modname):
    mod = MODULES[modname]
    assert hasattr(mod, "__all__"), f"{modname} has no __all__"
    covered = _covered()
    missing = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        key = f"{modname}.{name}"
        # a re-export counts as exempt where it is exempted under its home module
        exempt = key in EXEMPT or any(k.endswith(f".{name}") and getattr(MODULES.get(k.rsplit(".", 1)[0]), name, None)
                                      is obj for k in EXEMPT)
        if exempt:
            continue
        if callable(obj) and not inspect.signature(obj).parameters and not isinstance(obj, type):
            continue  # a function without arguments has no bad-argument path
        if id(_func(obj)) not in covered:
            missing.append(name)
    assert not missing, f"{modname}: not walked and not exempt: {missing}"


def _public_methods(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, property) or not callable(member):
            continue
        func = _func(member)
        if not getattr(func, "__module__", "").startswith("qpu_twin"):
            continue  # pydantic / Qiskit base-class API
        yield name, member


def test_every_public_method_is_walked_or_exempt():
    covered = _covered()
    classes = {}
    for mod in MODULES.values():
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type) and not _is_error_or_warning(obj) and id(obj) in covered:
                classes[obj.__name__] = obj
    missing = []
    for cname, cls in sorted(classes.items()):
        for mname, member in _public_methods(cls):
            if f"{cname}.{mname}" in EXEMPT_METHODS:
                continue
            params = [p for p in inspect.signature(member).parameters.values() if p.name not in ("self", "cls")]
            if not params:
                continue  # no arguments
            if id(_func(member)) not in covered:
                missing.append(f"{cname}.{mname}")
    assert not missing, f"public methods not walked and not exempt: {missing}"


@pytest.mark.parametrize("entry", API, ids=[e.name for e in API])
def test_every_parameter_has_wrong_values_or_a_reason(entry: Entry):
    sig = inspect.signature(entry.target)
    want = set()
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            want.add(f"**{p.name}")
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            want.add(f"*{p.name}")
        else:
            want.add(p.name)
    have = set(entry.args) | set(entry.exempt)
    if "**data" in entry.exempt:  # pydantic model: spot checks only (see the exemption's reason)
        want = {w for w in want if w in entry.args}
    if entry.name.endswith("[kw]"):  # an extra entry for one argument of a callable walked above
        want = set(entry.args)
    assert want <= have, f"{entry.name}: parameters without wrong values or a reason: {sorted(want - have)}"
    unknown = set(entry.args) - want - {"**data"}
    assert not unknown, f"{entry.name}: the table names parameters the callable does not have: {sorted(unknown)}"


def test_walk_size():
    """The walk stays a few hundred cases (it is meant to be exhaustive, not a sample)."""
    n = sum(len(b) for e in API for b in e.args.values())
    assert n >= 300, n

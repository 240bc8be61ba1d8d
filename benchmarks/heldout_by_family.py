"""Held-out mean Hellinger of fitted profiles by circuit family (issue #14): bit-flip / phase-flip code x DD.

    python benchmarks/heldout_by_family.py benchmarks/fitted_ibm_hanoi_seed0.yaml \
        benchmarks/fitted_ibm_hanoi_seed0_physics.yaml

The held-out side is the random split of ``qpu-twin fit`` (train fraction 0.5,
seed 0; :func:`qpu_twin.fit.heldout.split_circuits`); each fitted profile
predicts every held-out circuit exactly (noise="lindblad"), scored with
:func:`qpu_twin.metrics.hellinger` against the measured counts. Bit-flip codes
are the basis-state circuits (:func:`qpu_twin.noise.quasi_static.circuit_is_classical`),
phase-flip codes the others. The figures are in
``benchmarks/results_fit_repetition_codes_physics.txt`` and ``docs/fit.md``.
"""
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

from qpu_twin import Twin, load_profile
from qpu_twin.data import load_dataset
from qpu_twin.data.classify import uses_dynamical_decoupling
from qpu_twin.fit.heldout import split_circuits
from qpu_twin.metrics import hellinger as H
from qpu_twin.noise.quasi_static import circuit_is_classical

warnings.simplefilter("ignore")
ds = load_dataset(Path(__file__).resolve().parents[1] / "calibration_data/ibm_repetition_codes_2022")
sp = split_circuits([c for c in ds.circuits if c.counts], method="random", train_fraction=0.5, seed=0)
for path in sys.argv[1:]:
    tw = Twin(load_profile(path), noise="lindblad")
    agg = defaultdict(list)
    for c in sp.test:
        p = tw.run(c.circuit, transpile=False, seed=0).probabilities
        shots = sum(c.counts.values())
        fam = "bit-flip" if circuit_is_classical(c.circuit) else "phase-flip"
        dd = "DD" if uses_dynamical_decoupling(c.circuit) else "no DD"
        agg[(fam, dd)].append(H({k: v / shots for k, v in c.counts.items()}, p))
    allh = [h for v in agg.values() for h in v]
    groups = "  ".join(f"{a}/{b} {np.mean(v):.4f} ({len(v)})" for (a, b), v in sorted(agg.items()))
    print(path, f"all {np.mean(allh):.4f} ({len(allh)})", groups)

"""Matplotlib views of a profile: coherence histograms and the coupling graph."""

from __future__ import annotations

import math

import numpy as np

from .model import DeviceProfile


def _layout(p: DeviceProfile, seed: int = 7) -> dict[int, tuple[float, float]]:
    n = p.num_qubits
    undirected = {tuple(sorted(e)) for e in p.coupling_map}
    is_line = len(undirected) == n - 1 and all(b == a + 1 for a, b in undirected)
    if is_line:
        return {i: (float(i), 0.0) for i in range(n)}
    if len(undirected) >= n * (n - 1) // 2 or n <= 8:  # all-to-all or tiny: a circle
        return {i: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n)}
    import rustworkx as rx

    g = rx.PyGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from_no_data(sorted(undirected))
    pos = rx.spring_layout(g, seed=seed, num_iter=300)
    return {i: (float(pos[i][0]), float(pos[i][1])) for i in range(n)}


def plot_coherence(profile: DeviceProfile, *, axes=None, bins: int = 20):
    """Histograms of T1 and T2 (us) over the operational qubits. Returns the figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    else:
        fig = axes[0].figure
    ops = [q for q in profile.qubits if q.operational]
    for ax, field, label in zip(axes, ("t1_us", "t2_us"), ("T1 (us)", "T2 (us)")):
        vals = [getattr(q, field) for q in ops if getattr(q, field) is not None]
        if vals:
            ax.hist(vals, bins=bins, color="tab:blue", alpha=0.8)
            ax.axvline(float(np.median(vals)), color="k", ls="--", label=f"median {np.median(vals):.4g}")
            ax.legend()
        else:
            ax.text(0.5, 0.5, f"no {label}", ha="center", transform=ax.transAxes)
        ax.set_xlabel(label)
        ax.set_ylabel("qubits")
    fig.suptitle(f"{profile.name} ({profile.timestamp.date()})")
    fig.tight_layout()
    return fig


def plot_coupling_graph(profile: DeviceProfile, *, gate: str | None = None, ax=None, cmap: str = "viridis",
                        with_labels: bool | None = None):
    """The coupling graph, edges coloured by two-qubit gate error (log scale).

    For an edge calibrated in both directions the smaller error is shown;
    non-operational (dead) gates are drawn dashed red. Returns the figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    names = profile.two_qubit_gate_names
    gate = gate or (names[0] if names else None)
    if ax is None:
        size = 4 + 4 * min(1.0, profile.num_qubits / 60)
        fig, ax = plt.subplots(figsize=(size * 1.3, size))
    else:
        fig = ax.figure
    pos = _layout(profile)
    errs: dict[tuple[int, int], float | None] = {}
    for g in profile.gates_named(gate) if gate else ():
        key = tuple(sorted(g.qubits))
        e = g.error if g.operational else None
        if key not in errs or (e is not None and (errs[key] is None or e < errs[key])):
            errs[key] = e
    live = [e for e in errs.values() if e is not None and e > 0]
    norm = LogNorm(vmin=min(live), vmax=max(live)) if live and min(live) < max(live) else None
    colormap = plt.get_cmap(cmap)
    for (a, b), e in sorted(errs.items()):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        if e is None:
            ax.plot([x0, x1], [y0, y1], ls="--", color="red", lw=1.5, zorder=1)
        else:
            c = colormap(norm(e)) if norm else colormap(0.5)
            ax.plot([x0, x1], [y0, y1], color=c, lw=3, zorder=1)
    xy = np.array([pos[i] for i in range(profile.num_qubits)])
    colors = ["tab:gray" if q.operational else "red" for q in profile.qubits]
    ax.scatter(xy[:, 0], xy[:, 1], s=60 if profile.num_qubits > 40 else 200, c=colors, zorder=2, edgecolors="k")
    if with_labels is None:
        with_labels = profile.num_qubits <= 40
    if with_labels:
        for i, (x, y) in pos.items():
            ax.text(x, y, str(i), ha="center", va="center", fontsize=7, color="white", zorder=3)
    if norm is not None:
        sm = plt.cm.ScalarMappable(norm=norm, cmap=colormap)
        fig.colorbar(sm, ax=ax, label=f"{gate} error (avg. gate infidelity)")
    ax.set_title(f"{profile.name}: coupling graph ({gate}; dashed red = dead gate)")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig

"""Matplotlib plots of outcome distributions."""

from __future__ import annotations

from typing import Mapping


def plot_distributions(dists: Mapping[str, Mapping[str, float]], *, top: int = 16, ax=None, title: str | None = None,
                       log: bool = False):
    """Grouped bar chart of several distributions (label -> {bitstring: probability}).

    Counts are normalised. The ``top`` outcomes by maximum probability over all
    distributions are shown; the rest is summed into "other". ``log=True`` uses a
    logarithmic probability axis (small error outcomes become visible). Returns the figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    norm = {}
    for label, d in dists.items():
        total = float(sum(d.values())) or 1.0
        norm[label] = {k: v / total for k, v in d.items()}
    keys = sorted({k for d in norm.values() for k in d}, key=lambda k: -max(d.get(k, 0.0) for d in norm.values()))
    shown = sorted(keys[:top])
    rest = keys[top:]
    labels = shown + (["other"] if rest else [])
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(11, max(6, 0.25 * len(labels) * max(1, len(norm)))), 3.5))
    else:
        fig = ax.figure
    width = 0.8 / max(1, len(norm))
    x = np.arange(len(labels))
    for i, (label, d) in enumerate(norm.items()):
        vals = [d.get(k, 0.0) for k in shown] + ([sum(d.get(k, 0.0) for k in rest)] if rest else [])
        ax.bar(x + (i - (len(norm) - 1) / 2) * width, vals, width, label=label)
    ax.set_xticks(x, labels, rotation=60, fontsize=8)
    ax.set_ylabel("probability")
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def save_figure(fig, path, *, dpi: int = 120) -> str:
    """Save a matplotlib figure atomically (temporary file in the same folder, then rename); returns the path."""
    from pathlib import Path

    from .files import replaced_atomically

    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    with replaced_atomically(path, suffix=f".{fmt}") as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt)
    return str(path)

"""``backtest --report DIR``: one HTML page with its plots, for a laptop, not for the Pi.

matplotlib is an optional extra (``pip install 'arb-appliance[report]'``): it is imported only
here, only when a report is asked for, with the Agg backend (no display). Plots: the equity
curve and the drawdown (reference token, whole units), the histogram of net P&L per trade, and
the Monte Carlo fan (percentile bands of the equity over the runs' blocks).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from appliance.backtest.engine import BacktestRun
from appliance.backtest.errors import BacktestError
from appliance.backtest.metrics import drawdown_curve

__all__ = ["write_report"]

_PLOTS = ("equity.png", "drawdown.png", "pnl_histogram.png", "monte_carlo.png")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise BacktestError(
            "backtest --report needs matplotlib (laptop-side): pip install 'arb-appliance[report]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_report(
    out_dir: Path,
    doc: dict,
    runs: Sequence[BacktestRun],
    *,
    unit: str,
    decimals: int,
) -> Path:
    """Write ``index.html`` and its PNGs into ``out_dir``; return the page's path."""
    plt = _pyplot()
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BacktestError(
            f"cannot create report directory {str(out_dir)!r}: {exc.strerror}"
        ) from None
    scale = 10.0**decimals
    main = runs[0]

    def save(fig, name: str) -> None:
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=110)
        plt.close(fig)

    blocks = [b for b, _ in main.equity]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(blocks, [v / scale for _, v in main.equity], color="tab:green")
    ax.set(title="Equity (net P&L after gas)", xlabel="block", ylabel=unit)
    save(fig, "equity.png")

    peak, dd = 0, []
    for _, v in main.equity:
        peak = max(peak, v)
        dd.append((v - peak) / scale)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.fill_between(blocks, dd, 0, color="tab:red", alpha=0.5)
    ax.set(title="Drawdown from the running peak", xlabel="block", ylabel=unit)
    save(fig, "drawdown.png")

    fig, ax = plt.subplots(figsize=(6, 3.2))
    nets = [t.net_wei / scale for t in main.trades]
    ax.hist(nets or [0.0], bins=min(40, max(5, len(nets) // 3 or 5)), color="tab:blue")
    ax.set(title="Net P&L per trade", xlabel=unit, ylabel="trades")
    save(fig, "pnl_histogram.png")

    fig, ax = plt.subplots(figsize=(8, 3.2))
    if len(runs) > 1:
        import numpy as np

        curves = np.array([[v for _, v in r.equity] for r in runs], dtype=float) / scale
        for lo, hi, alpha in ((5, 95, 0.2), (25, 75, 0.4)):
            ax.fill_between(
                blocks,
                np.percentile(curves, lo, axis=0),
                np.percentile(curves, hi, axis=0),
                color="tab:purple",
                alpha=alpha,
                label=f"p{lo}-p{hi}",
            )
        ax.plot(blocks, np.percentile(curves, 50, axis=0), color="tab:purple", label="median")
        ax.legend(loc="upper left")
    else:
        ax.plot(blocks, [v / scale for _, v in main.equity], color="tab:purple")
    ax.set(title=f"Monte Carlo over {len(runs)} run(s)", xlabel="block", ylabel=unit)
    save(fig, "monte_carlo.png")

    _, trade_dd = drawdown_curve(main.trades)
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(json.dumps(v))}</td></tr>"
        for k, v in doc.items()
        if not isinstance(v, (dict, list))
    )
    images = "".join(f'<p><img src="{name}" alt="{name}"></p>' for name in _PLOTS)
    page = out_dir / "index.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><title>arb-appliance backtest</title>"
        "<style>body{font-family:sans-serif;max-width:900px;margin:auto}"
        "th{text-align:left;padding-right:1em}</style>"
        f"<h1>Backtest</h1><p>Amounts in wei of {html.escape(unit)} in the table; plots in "
        f"whole {html.escape(unit)}. Largest drawdown between trades: "
        f"{max(trade_dd, default=0) / scale:.6f} {html.escape(unit)}.</p>"
        f"<table>{rows}</table>{images}"
        f"<h2>Document</h2><pre>{html.escape(json.dumps(doc, indent=1))}</pre>"
    )
    return page

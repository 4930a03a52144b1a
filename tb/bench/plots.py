"""The sweep's figures as PNGs (matplotlib, Agg backend): Fig. 3 (standard conv: cycles and
speed-up vs ports), Fig. 5 a-c (bottleneck GOPS, TOPS/W, GOPS/mm^2 vs ports) and Fig. 6 (bottleneck
phases at 4/4), each with the paper's points from :mod:`tb.bench.reference` marked. The IMADW
series (depth-wise accelerator) joins Fig. 5 and Fig. 6 when it was run.
"""

import os

from tb.bench.plan import BN_SERIES, PHASES_BN
from tb.bench.reference import CONV_SPEEDUP, value

__all__ = ["plot_all"]


def plot_all(out, outdir, quick=False):
    """Write fig3_conv.png, fig5_bottleneck.png, fig6_phases.png into ``outdir``; returns names."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    tag = " (quick shapes)" if quick else ""
    # Fig. 3
    conv = out["conv"]
    if conv:
        ps = sorted(conv)
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        labels = ["SW"] + [f"{p}/{p}" for p in ps]
        sw_c = round(conv[ps[0]]["cycles"] * conv[ps[0]]["speedup"]) if conv[ps[0]]["speedup"] else None
        vals = [sw_c or 0] + [conv[p]["cycles"] for p in ps]
        a1.bar(labels, vals, color=["tab:gray"] + ["tab:blue"] * len(ps))
        a1.set_yscale("log")
        a1.set_ylabel("cycles (log)")
        a1.set_title("standard conv: cycles" + tag)
        for i, v in enumerate(vals):
            a1.text(i, v, f"{v:,}", ha="center", va="bottom", fontsize=7)
        sp = [conv[p]["speedup"] or 0 for p in ps]
        a2.plot(range(len(ps)), sp, "o-", label="ours (RTL)")
        ov = out.get("conv_ov") or {}
        if ov:
            ov_pts = [(i, ov[p]["speedup"]) for i, p in enumerate(ps) if p in ov and ov[p]["speedup"]]
            a2.plot([i for i, _ in ov_pts], [v for _, v in ov_pts], "s--", color="tab:green",
                    label="ours, overlapped engine")
            for i, v in ov_pts:
                a2.text(i, v, f"{v:.1f}x", ha="center", va="bottom", fontsize=8, color="tab:green")
        pp = [(i, CONV_SPEEDUP[p]) for i, p in enumerate(ps) if p in CONV_SPEEDUP]
        if pp:
            a2.plot([i for i, _ in pp], [v for _, v in pp], "r*", ms=12, label="paper Fig. 3")
        for i, v in enumerate(sp):
            a2.text(i, v, f"{v:.1f}x", ha="center", va="bottom", fontsize=8)
        a2.set_xticks(range(len(ps)), [f"{p}/{p}" for p in ps])
        a2.set_xlabel("IMA load/store ports")
        a2.set_ylabel("speed-up over 8-core SW")
        a2.set_title("IMA speed-up vs ports")
        a2.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "fig3_conv.png"), dpi=110)
        plt.close(fig)
        names.append("fig3_conv.png")
    # Fig. 5
    bn = out["bn"]
    if any(bn[m] for m in BN_SERIES):
        fig, axes = plt.subplots(1, 4, figsize=(16, 4))
        panels = (("gops", "GOPS", "a) performance"), ("tops_per_w", "TOPS/W", "b) energy efficiency"),
                  ("gops_per_mm2", "GOPS/mm$^2$ (PCM)", "c) area efficiency (PCM)"),
                  ("gops_per_mm2_cluster", "GOPS/mm$^2$ (cluster + PCM)", "c') with the cluster"))
        paper_pt = {"gops": value("hybrid_gops_4"), "tops_per_w": value("hybrid_tops_w_4"),
                    "gops_per_mm2": value("hybrid_gops_mm2_4")}
        allp = sorted({p for m in BN_SERIES for p in bn[m]})
        colors = {"SW": "tab:gray", "IMA8": "tab:orange", "IMA16": "tab:green", "HYBRID": "tab:blue",
                  "IMADW": "tab:purple"}
        for ax, (key, ylabel, title) in zip(axes, panels, strict=True):
            for m in BN_SERIES:
                ps = sorted(bn[m])
                ys = [bn[m][p][key] for p in ps]
                if not ps or any(y in (None, "") for y in ys):
                    continue
                xs = [allp.index(p) for p in ps]
                ax.plot(xs, ys, "--" if m == "SW" else "o-", color=colors[m], label=m)
            if key in paper_pt and 4 in allp:
                ax.plot([allp.index(4)], [paper_pt[key]], "r*", ms=12, label="paper HYBRID 4/4")
            ax.set_xticks(range(len(allp)), [f"{p}/{p}" for p in allp])
            ax.set_xlabel("ports")
            ax.set_ylabel(ylabel)
            ax.set_title(title + tag, fontsize=10)
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "fig5_bottleneck.png"), dpi=110)
        plt.close(fig)
        names.append("fig5_bottleneck.png")
    # Fig. 6
    ph = out["phases4"]
    if ph:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        maps = [m for m in BN_SERIES if m in ph]
        bottom = [0] * len(maps)
        for name in PHASES_BN:
            vals = [ph[m][name] for m in maps]
            ax.bar(maps, vals, bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        for i, b in enumerate(bottom):
            ax.text(i, b, f"{b:,}", ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("cycles")
        ax.set_title("bottleneck phases at 4/4 ports" + tag)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, "fig6_phases.png"), dpi=110)
        plt.close(fig)
        names.append("fig6_phases.png")
    return names

"""Build the cluster top (:class:`hw.cluster.cluster.Cluster`) for cocotb, one Verilator model
per configuration (``sim_build/cluster/<key>/``).

Used by ``ima-sim run`` / ``sweep`` and the profiler; the cocotb side is
:mod:`tb.cocotb_tests.cluster`. A cluster with the depth-wise accelerator (``cfg.dwa``) gets its
own directory (``..._dwa=True``, plus ``_dwa_arrangement=separate`` for that arrangement); the
arrangement of a cluster without the accelerator changes nothing and is left out of the key.
"""

import resource
import time

from hw.config import ClusterConfig
from tb.build import runner
from tb.build.cluster_top import ENGINE_PUBLIC, ClusterTestTop, input_ports

__all__ = ["TOP", "KEY", "LEAN_PUBLIC", "lean_public", "build_params", "build_cluster", "simulate"]

TOP = "cluster"
#: Parameters always named in the build directory; any other one only when it differs from the
#: default preset (ClusterConfig.build_params), so today's directories keep their names.
KEY = ("ports", "rows", "cols", "dac_depth", "adc_depth", "tcdm_bytes")


def build_params(cfg: ClusterConfig):
    """The flat parameters the build of ``cfg`` is keyed on (and elaborated from)."""
    params = cfg.build_params(KEY)
    if not cfg.dwa:
        params.pop("dwa_arrangement", None)      # no accelerator: the arrangement is moot
    return params


#: What the cluster testbench (tb.env.cluster) reaches through the VPI, for a lean build, each
#: pattern tied to the one module the testbench reaches it in: the TCDM banks (backdoor preload /
#: readback) and the engines' memories (:data:`tb.build.cluster_top.ENGINE_PUBLIC`), writable;
#: the test top's signals (its ports: every BFM, the statistics, the checkers' reports), read
#: only -- :func:`lean_public` adds its *input* ports as writable, one by one: a writable internal
#: signal of the top, its registered reset above all (:mod:`tb.build.reset`), would put every
#: reader back in the input region (docs/speed-plan.md, "Step 3c"); read only: the
#: accelerators' TCDM ports (the Python protocol monitors, ``monitors="python"``:
#: ``ima.tcdm_load__*`` / ``tcdm_store__*``, ``dwa.tcdm__*``) and the cores' ports at the
#: cluster's boundary (``tb.cocotb_tests.engine_trace``). Before issue 15's third step the
#: accelerator patterns matched every module (``("*", "tcdm__*")``, writable), which put the
#: IMA streamers' wide realignment logic on every ``eval()`` (docs/speed-plan.md, "Step 3").
#: The IMA instances' module names as patterns (``hw.cluster.cluster.ima_name``: ``ima``, ``ima1``,
#: ... ``ima99``) -- never ``ima*``, which would match the IMA's own submodules (``ima.engine``, ...).
_IMA_INSTANCES = ("ima", "ima?", "ima??")
LEAN_PUBLIC = ((TOP, "*", "rd"),
               (f"{TOP}.cluster.tcdm.tcdm", "bank?"), (f"{TOP}.cluster.tcdm.tcdm", "bank??"),
               *((f"{TOP}.cluster.{ima}", f"{kind}__*", "rd") for ima in _IMA_INSTANCES
                 for kind in ("tcdm_load", "tcdm_store")),
               (f"{TOP}.cluster.dwa", "tcdm__*", "rd"), (f"{TOP}.cluster", "core_tcdm__*", "rd"),
               *ENGINE_PUBLIC)


def lean_public(cfg: ClusterConfig):
    """The public set of the lean build of ``cfg``: :data:`LEAN_PUBLIC` plus each input port of
    its test top (what the testbench writes), writable."""
    return (*LEAN_PUBLIC, *((TOP, name) for name in input_ports(cfg)))


def build_cluster(cfg: ClusterConfig, *, waves: bool = False, debug: bool = False, opt=None,
                  simulator: str = "verilator"):
    """Build of the cluster's test top (:class:`tb.build.cluster_top.ClusterTestTop`: ``Cluster(cfg)``
    plus the cores' request engines and the TCDM checkers), reused across runs; returns the runner.

    Lean (only :func:`lean_public` visible to the VPI: a faster model, issue 15) unless
    ``debug`` or ``IMA_DEBUG_BUILD`` ask for every signal (:func:`tb.build.runner.build`,
    :func:`tb.build.runner.debug_build_requested`); ``opt``: the C++ optimisation level
    (:func:`tb.build.runner.cxx_opt`); ``simulator``: ``"icarus"`` for the four-state build
    (every signal visible there)."""
    return runner.build(TOP, ClusterTestTop, build_params(cfg), waves=waves,
                        public=None if simulator == "icarus" else lean_public(cfg), debug=debug, opt=opt,
                        simulator=simulator)


def simulate(cfg: ClusterConfig, test_module, options, *, seed, waves=False, debug=False,
             quiet=True):
    """Build the cluster ``cfg`` (cached, :func:`build_cluster`) and run cocotb ``test_module`` on
    it with ``options`` (what ``ima-sim run``, ``net`` and ``accuracy --rtl`` share).

    Returns ``(result, error, build_s, sim_s, sim_cpu_s)``: a failed cocotb test does not raise,
    its message is ``error`` and ``result`` what it saved before failing (``None`` if nothing);
    ``build_s`` / ``sim_s`` the wall times of the build and of the simulator run, ``sim_cpu_s`` the
    simulator process's CPU time (user + system, the build excluded: a figure a loaded machine
    stretches less than the wall time). ``quiet``: cocotb logs warnings only."""
    t0 = time.perf_counter()
    model = build_cluster(cfg, waves=waves, debug=debug)
    build_s = time.perf_counter() - t0
    error = None
    t1, c1 = time.perf_counter(), _children_cpu()
    try:
        res = runner.run(model, TOP, test_module, seed=seed, config=cfg, options=options,
                         log_level="WARNING" if quiet else None, waves=waves)
    except runner.SimulationFailed as e:
        error, res = str(e), e.result
    return res, error, build_s, time.perf_counter() - t1, _children_cpu() - c1


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the simulator runs in one)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

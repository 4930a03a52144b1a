"""Constrained-random register configurations for the IMA and the DWA, and their references.

The host-independent half of the register fuzzer (the simulator half is
:mod:`tb.cocotb_tests.regfuzz`, the driver ``ima-sim fuzz`` / ``make fuzz``): for configuration
``index`` of a run with ``seed`` a :class:`FuzzTarget` draws every job register as a raw 32-bit
word from ``numpy.random.default_rng([seed, index])`` -- so any one configuration replays on its
own, and shards of an index range draw exactly what one worker would -- and predicts what the
hardware must do with it:

* the ERROR causes, from the reference checker of the block's job (``LayerJob.causes`` /
  ``DwJob.causes`` on the decoded registers, :func:`hw.ima.regmap.decode_layer` /
  :func:`hw.dwa.regmap.decode_job`);
* for a valid configuration, the whole TCDM image afterwards (the numpy executor:
  :func:`sim_models.executor.execute`, :func:`sim_models.dwa.execute`) and the bytes it may
  write;
* a cycle bound from TRIGGER to the end-of-job event (see :meth:`FuzzTarget.bound`).

Draw mix (:data:`MIX`): ``random`` (every register uniform over 32 bits), ``boundary`` (a valid
small job with one to three registers set to a boundary value of :meth:`FuzzTarget.boundaries`),
``mutant`` (a valid small job with one register uniform over 32 bits) and ``valid`` (a valid
small job). :class:`Stats` counts what a run saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from hw.config import ClusterConfig, preset
from hw.dwa import regmap as dwa_regmap
from hw.ima import regmap as ima_regmap
from sim_models import dwa as dwa_model
from sim_models.crossbar import Crossbar
from sim_models.dwa_perf import engine_cycles
from sim_models.executor import execute
from sim_models.jobconfig import JobLoop, LayerJob, Walk3D

__all__ = ["MIX", "Config", "FuzzTarget", "ImaTarget", "DwaTarget", "TARGETS", "Stats", "make_target"]

#: Share of each draw kind (see the module docstring).
MIX = {"random": 0.15, "boundary": 0.3, "mutant": 0.1, "valid": 0.45}
#: Jobs whose bound exceeds this many cycles are soft-cleared at a random cycle before it.
LONG_CYCLES = 4000
U32 = (1 << 32) - 1


@dataclass
class Config:
    """One drawn configuration: ``regs`` {offset: uint32} in the order they are written."""
    index: int
    kind: str
    regs: dict[int, int]
    job: object                  # LayerJob / DwJob decoded from regs
    causes: frozenset[str]
    bound: int                   # cycles TRIGGER grant -> event, from the configuration
    long: bool = False           # bound > LONG_CYCLES: will be soft-cleared
    meta: dict = field(default_factory=dict)


def _pick(rng, values):
    return int(values[int(rng.integers(len(values)))])


class FuzzTarget:
    """What one accelerator's fuzzer needs; subclasses fill in the block's specifics."""

    name = ""
    regmap = None
    #: A cause the reference forgets (None: none): a deliberately broken reference, for the
    #: test that shows the fuzzer's comparison bites (tests/tb/check/test_regfuzz.py).
    drop_cause = None

    def __init__(self, cluster: ClusterConfig):
        self.cluster = cluster
        self.tcdm_bytes = cluster.tcdm_bytes
        self.job_registers = list(self.regmap.group("job"))
        self.err = self.regmap.masks("ERROR")
        self.error_fields = {f.name: f.mask for f in self.regmap["ERROR"].fields}

    # -- drawing --------------------------------------------------------------------------------
    def boundaries(self, reg) -> list[int]:
        """Boundary values of one register (as uint32): the edges of every rule the checker
        applies, and of the register's value range."""
        t = self.tcdm_bytes
        common = [0, 1, 2, 3, 4, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x10001, 0x7FFFFFFF, 0x80000000,
                  0xFFFF8000, 0xFFFF7FFF, U32, U32 - 1, 31, 32, 127, 128, 255, 256, -128 & U32,
                  -129 & U32, t - 1, t, t + 1, t - 4, -t & U32]
        return common + self._own_boundaries(reg)

    def _own_boundaries(self, reg):
        return []

    def draw(self, seed: int, index: int) -> Config:
        """Configuration ``index`` of a run seeded ``seed`` (independent of every other)."""
        rng = np.random.default_rng([seed, index])
        kind = str(rng.choice(list(MIX), p=list(MIX.values())))
        if kind == "random":
            regs = {r.offset: int(rng.integers(0, 1 << 32)) for r in self.job_registers}
        else:
            regs = dict(self.encode(self.valid_job(rng)))
            if kind in ("boundary", "mutant"):
                n = 1 if kind == "mutant" else int(rng.integers(1, 4))
                for k in rng.choice(len(self.job_registers), size=n, replace=False):
                    r = self.job_registers[int(k)]
                    regs[r.offset] = (int(rng.integers(0, 1 << 32)) if kind == "mutant"
                                      else _pick(rng, self.boundaries(r)) & U32)
        order = list(regs)
        rng.shuffle(order)
        regs = {o: regs[o] for o in order}
        job = self.decode(regs)
        true = self.causes(job)
        causes = true - {self.drop_cause}
        bound = self.check_bound() if true else self.bound(job)
        cfg = Config(index, kind, regs, job, causes, bound, long=bound > LONG_CYCLES)
        cfg.meta["rng"] = rng
        return cfg

    # -- the block's specifics ------------------------------------------------------------------
    def valid_job(self, rng):
        raise NotImplementedError

    def encode(self, job):
        raise NotImplementedError

    def decode(self, regs):
        raise NotImplementedError

    def causes(self, job) -> frozenset[str]:
        raise NotImplementedError

    def check_bound(self) -> int:
        """Cycles TRIGGER grant -> event of a configuration the checker rejects."""
        raise NotImplementedError

    def bound(self, job) -> int:
        raise NotImplementedError

    def execute(self, job, image):
        """Run a valid job on ``image`` in place (the numpy reference)."""
        raise NotImplementedError

    def written(self, job) -> np.ndarray | None:
        """Bool mask of the bytes a valid job may write (``None``: too many jobs to list;
        :meth:`written_box` then)."""
        raise NotImplementedError

    def error_mask(self, causes) -> int:
        return sum(self.error_fields[c] for c in causes)


class ImaTarget(FuzzTarget):
    """The IMA with the digital twin as analog core (``tb.build.tops.ImaTwinTestTop``)."""

    name = "ima"
    regmap = ima_regmap.IMA_MAP
    #: The ConfigChecker's steps: done 21 cycles after its start (hw/ima/jobregs.py), which is
    #: the cycle after TRIGGER, then the event the cycle after done.
    CHECK_CYCLES = 1 + 21 + 1

    def __init__(self, cluster: ClusterConfig):
        super().__init__(cluster)
        self.p = p = cluster.ima
        self.limits = dict(rows=p.rows, cols=p.cols, tcdm_bytes=p.tcdm_bytes, dac_depth=p.dac_depth,
                           adc_depth=p.adc_depth, arrays=p.arrays)

    def weights(self, seed):
        """The weights of every array for a run (programmed once, through the twin's memory)."""
        rng = np.random.default_rng([seed, 1 << 40])
        return [rng.integers(-7, 8, size=(self.p.rows, self.p.cols)) for _ in range(self.p.arrays)]

    def crossbars(self, weights):
        xbars = []
        for w in weights:
            xb = Crossbar(self.p.rows, self.p.cols)
            xb.program(0, 0, w)
            xbars.append(xb)
        return xbars

    def _own_boundaries(self, reg):
        p = self.p
        return [p.rows, p.rows - 1, p.rows + 1, p.cols, p.cols - 1, p.cols + 1, p.dac_depth,
                p.dac_depth + 1, p.adc_depth, p.adc_depth + 1, p.arrays, p.arrays - 1]

    def encode(self, job):
        return ima_regmap.encode_layer(job)

    def decode(self, regs):
        return ima_regmap.decode_layer(regs)

    def causes(self, job):
        return job.causes(**self.limits)

    def check_bound(self):
        return self.CHECK_CYCLES

    def bound(self, job: LayerJob) -> int:
        """Per job: each source / sink run of ``len0`` bytes touches at most
        ``ceil(len0 / 4) + 1`` words, moved at least one word per cycle, plus 8 cycles of phase
        overhead each; COMPUTE ``max(mvm_cycles, height + width + 7)`` (the twin's); so

            bound = CHECK_CYCLES + 16 + jobs * (2 * (runs_in * (ceil(len0_in / 4) + 1) + 8)
                    + max(mvm, height + width + 7) + 2 * (runs_out * (ceil(len0_out / 4) + 1) + 8))

        (the factor 2: bank conflicts between the IMA's own ports)."""
        s, d = job.src, job.dst
        sin = s.len1 * s.len2 * (-(-s.len0 // 4) + 1) + 8
        sout = d.len1 * d.len2 * (-(-d.len0 // 4) + 1) + 8
        comp = max(self.p.mvm_cycles, job.height + job.width + 7)
        return self.CHECK_CYCLES + 16 + job.num_jobs * (2 * sin + comp + 2 * sout)

    def valid_job(self, rng) -> LayerJob:
        """A small valid layer: window on the array, 1-12 jobs, walks with random (also
        negative, overlapping) strides, source and sink anywhere in the TCDM (they may overlap:
        the executor's job order is the hardware's)."""
        p = self.p
        while True:
            h = int(rng.integers(1, p.dac_depth + 1)) if rng.random() < 0.3 else int(rng.integers(1, 17))
            w = int(rng.integers(1, p.adc_depth + 1)) if rng.random() < 0.3 else int(rng.integers(1, 9))
            src, dst = self._walk(rng, h), self._walk(rng, w)
            counts = [int(rng.choice([1, 1, 2, 3])) for _ in range(3)]
            loops = []
            for c in counts:
                rs = int(rng.integers(-(p.rows // 4), p.rows // 4 + 1)) if c > 1 else 0
                cs = int(rng.integers(-(p.cols // 4), p.cols // 4 + 1)) if c > 1 else 0
                loops.append(JobLoop(c, int(rng.integers(-64, 65)), int(rng.integers(-64, 65)), rs, cs))
            job = LayerJob(0, 0, src, dst, 0, 0, h, w, loops=tuple(loops),
                           adc_m=int(rng.integers(-(1 << 15), 1 << 15)) if rng.random() < 0.3
                           else int(rng.integers(-64, 65)),
                           adc_s=int(rng.integers(0, 32)) if rng.random() < 0.3 else int(rng.integers(0, 8)),
                           array=int(rng.integers(0, p.arrays)))
            lo, hi = sorted(int(v) for v in rng.integers(-128, 256, size=2))
            job = replace(job, adc_lo=lo, adc_hi=hi)
            r_lo, r_hi = job._extent(lambda lp: lp.row_stride, 0, h)
            c_lo, c_hi = job._extent(lambda lp: lp.col_stride, 0, w)
            s_lo, s_hi = job.byte_range(0, src, "src_stride")
            d_lo, d_hi = job.byte_range(0, dst, "dst_stride")
            if (r_hi - r_lo > p.rows or c_hi - c_lo > p.cols or s_hi - s_lo > self.tcdm_bytes
                    or d_hi - d_lo > self.tcdm_bytes):
                continue
            job = replace(job, row=-r_lo + int(rng.integers(0, p.rows - (r_hi - r_lo) + 1)),
                           col=-c_lo + int(rng.integers(0, p.cols - (c_hi - c_lo) + 1)),
                           src_addr=-s_lo + int(rng.integers(0, self.tcdm_bytes - (s_hi - s_lo) + 1)),
                           dst_addr=-d_lo + int(rng.integers(0, self.tcdm_bytes - (d_hi - d_lo) + 1)))
            job.validate(**self.limits)
            return job

    @staticmethod
    def _walk(rng, n):
        """A 3D walk of ``n`` bytes: ``n = len0 * len1 * len2`` from random divisors, strides
        from -40 to 40 bytes."""
        divs = [d for d in range(1, n + 1) if n % d == 0]
        len0 = int(rng.choice(divs))
        rest = n // len0
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        len1 = int(rng.choice(divs))
        len2 = rest // len1
        return Walk3D(len0, len1, int(rng.integers(-40, 41)), len2, int(rng.integers(-40, 41)))

    def execute(self, job, image, xbars=None):
        execute(image, xbars, job)

    def written(self, job):
        if job.num_jobs > 4096:
            return None
        mask = np.zeros(self.tcdm_bytes, dtype=bool)
        off = np.asarray(job.dst.offsets(), dtype=np.int64)
        for _, dst_base, _, _ in job.jobs():
            mask[dst_base + off] = True
        return mask

    def written_box(self, job):
        t = job._datapath()
        return t.byte_range(t.dst_addr, t.dst, "dst_stride")


class DwaTarget(FuzzTarget):
    """The depth-wise accelerator (``tb.build.tops.DwaTestTop``)."""

    name = "dwa"
    regmap = dwa_regmap.DWA_MAP

    def __init__(self, cluster: ClusterConfig):
        super().__init__(cluster)
        self.ports = cluster.ima.ports

    def _own_boundaries(self, reg):
        return [5, 16, 17]

    def encode(self, job):
        return dwa_regmap.encode_job(job)

    def decode(self, regs):
        return dwa_regmap.decode_job(regs)

    def causes(self, job):
        return job.causes(self.tcdm_bytes)

    def check_bound(self):
        from hw.dwa.top import TRIGGER_TO_START
        return TRIGGER_TO_START + 2

    def bound(self, job) -> int:
        """``2 * engine_cycles(job, N) + CONTROL_OVERHEAD + 32``: the DWA's cycle model
        (:func:`sim_models.dwa_perf.engine_cycles`, exact without contention) doubled for bank
        conflicts among the DWA's own ports."""
        from hw.dwa.top import CONTROL_OVERHEAD
        if job.out_h * job.out_w * job.groups > 1 << 12:    # the model walks every pixel
            return 1 << 40
        return 2 * engine_cycles(job, self.ports) + CONTROL_OVERHEAD + 32

    def valid_job(self, rng):
        """A small valid job: regions in random order at random (misaligned) addresses,
        possibly overlapping only when the draw says so (``overlap``: then the job is still
        valid but its reference is only defined per region, see :meth:`overlaps`)."""
        t = self.tcdm_bytes
        while True:
            c = int(rng.choice([1, 3, 16, 17, int(rng.integers(1, 40))]))
            s = int(rng.integers(1, 3))
            oh, ow = (int(v) for v in rng.integers(1, 7, size=2))
            ih, iw = (oh - 1) * s + 3, (ow - 1) * s + 3
            irs = iw * c + int(rng.choice([0, int(rng.integers(0, 9))]))
            ors = ow * c + int(rng.choice([0, int(rng.integers(0, 9))]))
            sizes = {"in_addr": (ih - 1) * irs + iw * c, "w_addr": 9 * c,
                     "out_addr": (oh - 1) * ors + ow * c}
            if sum(sizes.values()) + 48 <= t:
                break
        slack = t - sum(sizes.values())
        cuts = sorted(int(v) for v in rng.integers(0, slack + 1, size=3))
        addr, where = cuts[0], {}
        gaps = [cuts[1] - cuts[0], cuts[2] - cuts[1], 0]
        for k, name in enumerate(rng.permutation(list(sizes))):
            where[str(name)] = addr
            addr += sizes[str(name)] + gaps[k]
        lo, hi = sorted(int(v) for v in rng.integers(-128, 256, size=2))
        m = int(rng.choice([1, int(rng.integers(-300, 300)), int(rng.integers(-2**15, 2**15))]))
        return dwa_model.DwJob(in_row_stride=irs, out_row_stride=ors, channels=c, out_h=oh,
                               out_w=ow, stride=s, adc_m=m, adc_s=int(rng.integers(0, 16)),
                               adc_lo=lo, adc_hi=hi, **where).validate(t)

    def overlaps(self, job) -> bool:
        """The output region overlaps a region the job reads (then the result depends on the
        hardware's order of loads and stores, which the reference does not model)."""
        r = job.regions()
        olo, ohi = r["output"]
        return any(lo < ohi and olo < hi for name, (lo, hi) in r.items() if name != "output")

    def execute(self, job, image, xbars=None):
        dwa_model.execute(job, image)

    def written(self, job):
        if job.out_h * job.out_w > 1 << 16:
            return None
        mask = np.zeros(self.tcdm_bytes, dtype=bool)
        for oy in range(job.out_h):
            a = job.out_addr + oy * job.out_row_stride
            mask[a:a + job.out_w * job.channels] = True
        return mask

    def written_box(self, job):
        return job.regions()["output"]


def make_target(name: str, cluster: ClusterConfig | None = None) -> FuzzTarget:
    """The fuzz target ``name`` ('ima' or 'dwa') on its default fuzz configuration."""
    if name not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {name!r}")
    return TARGETS[name](cluster or fuzz_config(name))


def fuzz_config(name: str) -> ClusterConfig:
    """The small configuration each target is fuzzed on (8 KiB TCDM so that random addresses
    and lengths land inside it often; 8 cores; the IMA with 2 arrays of 64 x 32 and 2/2
    ports; the DWA with the jetcas2022 preset's 4 ports)."""
    if name == "ima":
        return preset().with_(ports=2, rows=64, cols=32, dac_depth=64, adc_depth=32,
                              tcdm_bytes=8 * 1024, arrays=2)
    if name == "dwa":
        return preset("jetcas2022").with_(tcdm_bytes=8 * 1024)
    raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {name!r}")


TARGETS = {"ima": ImaTarget, "dwa": DwaTarget}


@dataclass
class Stats:
    """Counts of one run (or shard); :meth:`merge` adds shards."""
    configs: int = 0
    jobs: int = 0                 # configurations that ran their jobs (no cause)
    completed: int = 0            # ... and ended with their event (not soft-cleared)
    errors: dict = field(default_factory=dict)     # ERROR cause -> configurations
    kinds: dict = field(default_factory=dict)      # draw kind -> configurations
    soft_clears: int = 0
    aborted: int = 0
    no_acquire: int = 0
    races: int = 0                # ACQUIRE races with more than one core
    hangs: int = 0
    stray_writes: int = 0
    double_grants: int = 0
    mismatches: int = 0           # ERROR bits or image differing from the reference
    fields: dict = field(default_factory=dict)     # register -> configurations [0, 1..0xFFFF, more]
    max_bound_ratio: float = 0.0  # largest (cycles taken) / (bound) among completed configs
    failures: list = field(default_factory=list)   # (index, what) of the first failures

    def merge(self, other: Stats | dict) -> Stats:
        o = other if isinstance(other, Stats) else Stats(**other)
        for k in ("configs", "jobs", "completed", "soft_clears", "aborted", "no_acquire", "races",
                  "hangs", "stray_writes", "double_grants", "mismatches"):
            setattr(self, k, getattr(self, k) + getattr(o, k))
        for name in ("errors", "kinds"):
            d = getattr(self, name)
            for k, v in getattr(o, name).items():
                d[k] = d.get(k, 0) + v
        for k, v in o.fields.items():
            cur = self.fields.setdefault(k, [0] * len(v))
            for i, n in enumerate(v):
                cur[i] += n
        self.max_bound_ratio = max(self.max_bound_ratio, o.max_bound_ratio)
        self.failures = (self.failures + list(o.failures))[:20]
        return self

    def count(self, d, key, n=1):
        d = getattr(self, d)
        d[key] = d.get(key, 0) + n

    def count_fields(self, target, regs):
        """Register-value coverage: per job register, configurations with 0, 1..0xFFFF and
        anything else (above 16 bits or negative)."""
        for r in target.job_registers:
            v = regs[r.offset]
            bucket = 0 if v == 0 else 1 if v <= 0xFFFF else 2
            self.fields.setdefault(r.name, [0, 0, 0])[bucket] += 1

    def fail(self, index, what):
        if len(self.failures) < 20:
            self.failures.append((index, what))

    @property
    def bad(self) -> int:
        return self.hangs + self.stray_writes + self.double_grants + self.mismatches

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

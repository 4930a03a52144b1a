"""The job sequencer's signature, shared by the two sequencers the IMA engine can hold.

A sequencer runs the jobs of a layer: it derives each job's source/destination bases and
crossbar window from the job loops (:class:`~hw.ima.jobloops.JobLoops`), starts the streamer's
Source (TCDM -> DAC buffer), the analog core's MVM and the streamer's Sink (ADC buffer -> TCDM),
and counts the statistics. Two implementations, chosen by ``ImaConfig.overlap``:

* :class:`hw.ima.sequential.SequentialSequencer` -- the AICAS 2021 FSM: STREAMIN, COMPUTE,
  STREAMOUT, job after job;
* :class:`hw.ima.overlapped.OverlappedSequencer` -- double-buffered DAC and ADC, the three phases
  of consecutive jobs side by side.

The :class:`~hw.ima.engine.Engine` drives the parts that are the same for every job (walk
lengths and strides, window size, ADC transfer parameters) and connects the sequencer's
``source``/``sink`` to the streamer and ``mvm`` to its analog-core port.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.ima.jobregs import JobRegsLayout
from hw.ima.stats import ImaStatsSignature

__all__ = ["SequencerSignature", "Sequencer"]


def _check_depth(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


class SequencerSignature(wiring.Signature):
    """A job sequencer, seen from the sequencer.

    Parameters
    ----------
    dac_depth, adc_depth : int
        Bytes of the DAC and ADC vectors.

    Members
    -------
    job : In(JobRegsLayout)
        The layer configuration, stable while ``stat.busy``.
    start : In(1)
        Pulse: run the layer (the configuration has been checked).
    abort : In(1)
        Soft clear: back to idle at once.
    done : Out(1)
        One-cycle pulse when the last job's STREAMOUT has completed.
    source : Out(Signature)
        ``start`` (out), ``base`` (out, the job's source base), ``done`` (in), ``dac`` (in: the
        Source's DAC buffer).
    sink : Out(Signature)
        ``start`` (out), ``base`` (out, the job's destination base), ``done`` (in), ``adc`` (out:
        the vector the Sink writes).
    mvm : Out(Signature)
        The per-job members of the analog core's MVM channel: ``start``, ``row``, ``col``,
        ``dac`` (out), ``done``, ``adc`` (in).
    stat : Out(ImaStatsSignature())
        ``busy`` and the statistics.
    """

    def __init__(self, *, dac_depth, adc_depth):
        _check_depth("dac_depth", dac_depth)
        _check_depth("adc_depth", adc_depth)
        self._dac_depth, self._adc_depth = dac_depth, adc_depth
        super().__init__({
            "job": In(JobRegsLayout),
            "start": In(1), "abort": In(1), "done": Out(1),
            "source": Out(wiring.Signature({"start": Out(1), "base": Out(32), "done": In(1),
                                            "dac": In(8 * dac_depth)})),
            "sink": Out(wiring.Signature({"start": Out(1), "base": Out(32), "done": In(1),
                                          "adc": Out(8 * adc_depth)})),
            "mvm": Out(wiring.Signature({"start": Out(1), "row": Out(16), "col": Out(16),
                                         "dac": Out(8 * dac_depth), "done": In(1),
                                         "adc": In(8 * adc_depth)})),
            "stat": Out(ImaStatsSignature()),
        })

    @property
    def dac_depth(self):
        return self._dac_depth

    @property
    def adc_depth(self):
        return self._adc_depth

    def __eq__(self, other):
        return (type(other) is type(self) and other.dac_depth == self.dac_depth
                and other.adc_depth == self.adc_depth)

    def __repr__(self):
        return f"SequencerSignature(dac_depth={self.dac_depth}, adc_depth={self.adc_depth})"


class Sequencer(wiring.Component):
    """Base of the job sequencers: the :class:`SequencerSignature` for ``cfg``'s buffer depths.

    Parameters
    ----------
    cfg : ImaConfig
        Design parameters (validated; ``ValueError`` naming a bad one).
    """

    def __init__(self, cfg):
        self._cfg = cfg.validate()
        super().__init__(SequencerSignature(dac_depth=cfg.dac_depth, adc_depth=cfg.adc_depth))

    def elaborate(self, platform):       # pragma: no cover - subclasses implement it
        raise NotImplementedError(f"{type(self).__name__} must implement elaborate()")

"""Data layouts shared by the IMA streamer blocks.

* :data:`Walk3DLayout` -- one 3D byte walk (the RTL twin of :class:`sim_models.jobconfig.Walk3D`
  plus its base address). The engine drives one per job on ``Source.cfg`` / ``Sink.cfg``.
* :func:`chunk_layout` -- the payload of the address generator's output stream: up to ``ports``
  aligned words of one contiguous run, with their byte masks and stream positions.
"""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

__all__ = ["Walk3DLayout", "LaneLayout", "chunk_layout"]

#: A 3D strided byte walk::
#:
#:     for i2 in range(len2):
#:         for i1 in range(len1):
#:             for i0 in range(len0):
#:                 byte at base + i2*stride2 + i1*stride1 + i0
#:
#: ``base`` is a byte address, strides are signed byte offsets. A length of 0 makes the walk
#: empty (the job finishes without any request).
Walk3DLayout = data.StructLayout({
    "base": unsigned(32),
    "len0": unsigned(16),
    "len1": unsigned(16),
    "stride1": signed(32),
    "len2": unsigned(16),
    "stride2": signed(32),
})

#: One lane of a chunk: the aligned word address (byte address >> 2), the byte mask (0 = lane
#: unused) and the stream position of the word's byte 0 (negative for the first word of a
#: misaligned run that starts at stream position 0).
LaneLayout = data.StructLayout({
    "word": unsigned(30),
    "mask": unsigned(4),
    "pos": signed(32),
})


def chunk_layout(ports):
    """Payload layout of one chunk: ``lanes`` (``ports`` x :data:`LaneLayout`) and ``last``
    (the final chunk of the walk)."""
    return data.StructLayout({
        "lanes": data.ArrayLayout(LaneLayout, ports),
        "last": unsigned(1),
    })

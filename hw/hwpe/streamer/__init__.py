"""IMA streamer: chunked 3D address generator, TCDM source (STREAMIN) and sink (STREAMOUT)."""

from .addressgen import AddressGen
from .layouts import LaneLayout, Walk3DLayout, chunk_layout
from .sink import Sink
from .source import Source

__all__ = ["AddressGen", "LaneLayout", "Walk3DLayout", "chunk_layout", "Sink", "Source"]

"""IMA streamer: chunked 3D address generator, TCDM source (STREAMIN) and sink (STREAMOUT), and the
shared data interface of the two (round-robin by chunk)."""

from .addressgen import AddressGen
from .layouts import LaneLayout, Walk3DLayout, chunk_layout
from .shared_port import SharedPort
from .sink import Sink
from .source import Source

__all__ = ["AddressGen", "LaneLayout", "Walk3DLayout", "chunk_layout", "SharedPort", "Sink", "Source"]

"""Compiler: a quantised network (:class:`sim_models.graph.Graph`) -> a cluster program.

Pure data in and out (numpy, no HDL): :func:`compile_graph` maps every layer to the unit that
runs it, places the crossbar layers on the IMA's arrays, allocates the TCDM and emits, per layer,
the :class:`sim_models.workloads.Phase` list the cores execute (HAL offloads and software
kernels). :mod:`sim_models.netexec` runs the result at job level; the RTL runner runs the same
phases on the cluster.

**Mapping** (Garofalo et al., "A Heterogeneous In-Memory Computing Cluster For Flexible
End-to-End Inference of Real-World Deep Neural Networks", IEEE JETCAS 2022, Sec. VI):

* ``conv`` (KxK), ``pointwise`` and -- with ``fc_unit="ima"`` -- ``fc`` on the IMA. Their weight
  matrices (rows ``K*K*C_in``, columns ``C_out``) are placed on the arrays by Tile&Pack
  (:func:`sim_models.placement.tile_and_pack`, tiles ``hw.rows x hw.cols``). A layer's column
  tiles are :class:`sim_models.mapping.ColumnTile` pieces of one LayerMapping (one LayerJob per
  piece, ``J_ARRAY`` = its array).
* 3x3 ``depthwise`` on the digital depth-wise accelerator (:func:`map_depthwise_dwa`, one
  :class:`sim_models.dwa.DwJob`; weights in a TCDM buffer).
* ``add`` (residual), ``avgpool`` and ``fc`` (``fc_unit="cores"``, the default) on the 8 cores.
* ``maxpool`` and ``concat`` (ResNet, VGG, SqueezeNet) on the 8 cores too (``sw_maxpool``,
  ``sw_concat``; costs :meth:`sim_models.swcost.SwCost.maxpool` /
  :meth:`~sim_models.swcost.SwCost.concat`). The max pool clips its windows to the input (its
  padding is the kernel's, not the buffer's), so its input needs no padding ring.

**Row splits.** A crossbar layer whose ``K*K*C_in`` rows exceed one array carries ``row_splits``
in the graph (its golden semantics: :mod:`sim_models.graph`). On the IMA the cuts must be exactly
the multiples of ``hw.rows`` (Tile&Pack cuts there). Each row piece is its own LayerMapping
(:func:`map_pointwise` / :func:`map_fc` with ``in_slice``: the piece's input channels of every
pixel) whose ADC applies ``partial_adc`` and writes a signed 8-bit partial buffer (``H*W*C_out``
bytes, live only inside the layer); then a cores phase ``sw_add_partials`` adds the partials in 32
bits and requantises with the layer's ``adc``. The IMA has no ADC-less (raw accumulator) mode, so
this is how partial sums are combined, and what it costs over a layer that fits one array: per
extra piece, one more job per output pixel and column tile (the piece's inputs streamed in again,
one more MVM, ``C_out`` more bytes streamed out), ``H*W*C_out`` bytes of TCDM per piece, and a
software pass that loads every partial and stores the output (``(n+1)*H*W*C_out`` bytes moved,
``n`` adds and one requantisation per output); accuracy: each partial is clipped to 8 bits before
the sum (the golden model includes it). A KxK conv (K > 1) cannot be row-split: a piece would cut
a kernel row's ``(kx, c)`` run, which the streamer's 3-D source walk cannot express
(ValueError). An ``fc`` on the cores honours its ``row_splits`` the same way (one ``sw_fc`` per
piece into an int8 partial buffer, then ``sw_add_partials``), so it matches the golden model.

**Software layers** (``sw_layers``: partial coverage, :mod:`sim_models.coverage`): a conv,
pointwise or depth-wise layer named there runs on the 8 cores instead of its accelerator, with the
kernels of :mod:`tb.bfm.kernels` -- ``sw_pointwise`` (1x1, stride 1), ``sw_conv`` (KxK, or a strided
1x1), ``sw_hwc_to_chw`` + ``sw_depthwise_chw`` (depth-wise, PULP-NN's CHW kernel; the CHW copy of
the padded input is a scratch buffer ``<layer>.chw`` live inside the step) -- and its weights
resident in the kernels' layouts (``[C_out, K, K, C_in]``, ``[C_out, C_in]``, ``[C, K, K]``) like a
core fc's. The kernels read their input padded exactly by the layer's ``pad`` (ValueError when
another consumer pads the buffer more) and run a layer whole: a conv / pointwise layer with
``row_splits`` (partials clipped to 8 bits, the IMA's semantics) is refused -- build the graph
without row splits (``rows=None``). An fc already runs on the cores unless ``fc_unit="ima"``.

**Private IMAs** (``ima_of``: tight coupling, one IMA per core): see :func:`compile_graph`.

**Phases** (``Phase(name, kind, args)``; every phase ends with a barrier; the argument names are
those of the kernels in :mod:`tb.bfm.kernels`):

==================  ===================================================================
``ima``             ``{layer: LayerMapping}`` -- core 0 offloads its LayerJobs in order
``dwa``             ``{job: DwJob}`` -- core 0 offloads the depth-wise job
``sw_residual``     ``{x_buf, p_buf, y_buf}``: ``y = clamp(x + p, 0, 255)``
``sw_fc``           ``{src, w_buf, dst, adc}``: ``w_buf`` holds ``[C_out, C_in]`` int8
``sw_avgpool``      ``{src, dst, k, adc}``: per-channel sums of the ``k x k`` windows (stride
                    ``k``) of HWC ``src``, requantised by ``adc`` into ``dst``
``sw_add_partials`` ``{parts, dst, adc}``: ``dst = requant(sum(parts), adc)``, ``parts`` int8
``sw_maxpool``      ``{src, dst, k, stride, pad}``: per-channel maximum of each ``k x k`` window
                    (windows clipped to the input: the -inf padding of a uint8 tensor)
``sw_concat``       ``{srcs, dst}``: the ``srcs`` (HWC, same H and W) concatenated along the
                    channels into ``dst``
``sw_zero_ring``    ``{buf}``: zero the padding ring of the padded ``buf``
``sw_pointwise``    ``{src, w_buf, dst, adc}`` (a software 1x1 layer)
``sw_conv``         ``{src, w_buf, dst, adc, k, stride}`` (a software KxK / strided 1x1 layer)
``sw_hwc_to_chw``   ``{src, dst_addr}``; then ``sw_depthwise_chw`` ``{chw_addr, padded_shape,
                    w_buf, dst, adc, k, stride}`` (a software depth-wise layer)
==================  ===================================================================

A phase is named after its layer, or ``<layer>.<part>`` when the layer has several
(``zero_ring``, ``ima`` / ``dwa`` / ``sw``, ``r0``, ``r1``, ..., ``sum``). The HWC buffers of
``sw_residual``, ``sw_avgpool``, ``sw_add_partials``, ``sw_maxpool``, ``sw_concat`` and
``sw_zero_ring`` may be padded (read and
write the interior); those of ``sw_fc`` never are (its input and output are flat: the compiler
refuses a graph that would pad them).

**TCDM allocation.** The weights of depth-wise and core layers are resident from the start, at
the bottom of the TCDM in layer order. Every tensor (the input and each layer's output) lives
from its producing step to its last consuming step (the network output to its own step); the
int8 partials of a row-split layer live inside their step. A tensor is stored pre-padded with the
largest ``pad`` of its KxK consumers (the IMA and the depth-wise accelerator read padded inputs;
producers write only the interior); a consumer needing less padding starts its reads inside the
ring (:func:`sim_models.mapping.map_conv`'s source origin), so one buffer serves them all.
Buffers are placed greedy by size (largest first, then by first use, then by graph order), each at
the lowest 4-byte aligned address free of every buffer whose lifetime overlaps its own --
deterministic; on MobileNetV2 the peak equals the lower bound (the largest sum of buffers live at
one step). A padded buffer whose bytes held an earlier tensor gets a ``sw_zero_ring`` phase before
its producer writes it (fresh bytes are zero in the initial image). The program's TCDM is the
smallest power of two at least the peak (``tcdm_bytes=None``), or the given size (ValueError when
smaller); ``hw.tcdm_bytes`` is not a limit here: a network run sizes the TCDM to the program, as
Garofalo et al. assume all activations in L1 (Sec. VI).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim_models import golden
from sim_models.graph import INPUT, GoldenRun, Graph, Layer, row_pieces, run_golden
from sim_models.mapping import (
    Buffer,
    ColumnTile,
    DwaLayer,
    LayerMapping,
    Placement,
    TcdmAllocator,
    check_disjoint,
    map_conv,
    map_depthwise_dwa,
    map_fc,
    map_pointwise,
)
from sim_models.placement import Floorplan, WeightMatrix, tile_and_pack
from sim_models.workloads import HwLimits, Phase

__all__ = ["NetStep", "NetProgram", "compile_graph", "UNITS", "FC_UNITS", "ALIGN", "layer_unit"]

#: Units that run a layer's MACs.
UNITS = ("ima", "dwa", "cores")
#: Where a fully connected layer may run.
FC_UNITS = ("cores", "ima")
#: Alignment of every TCDM buffer, bytes (one 32-bit word: the cores' and streamers' word).
ALIGN = 4


@dataclass
class NetStep:
    """One graph layer's work, in execution order.

    ``phases`` run in order (each ends with a barrier); ``out`` is the layer's output buffer,
    valid right after the phases (buffers are reused later), and must then hold ``expected``,
    the golden tensor of the layer. ``arrays`` are the IMA arrays the layer uses."""
    layer: str
    kind: str
    unit: str
    phases: list[Phase]
    out: Buffer
    expected: np.ndarray
    macs: int
    arrays: tuple[int, ...] = ()


@dataclass
class NetProgram:
    """A compiled network: the initial TCDM image, the steps, the crossbar windows.

    ``image`` is the initial TCDM (``tcdm_bytes`` bytes: the input and the weights of the
    depth-wise and core layers, zeros elsewhere), of which the first ``used`` bytes need a
    preload. ``placements`` are every crossbar window (``Placement.array``), programmed once
    before inference; ``arrays`` the crossbars needed (>= 1). ``buffers`` names every TCDM buffer
    (tensors by their name, partials ``<layer>.p<t>``, weights ``<layer>.w[<t>]``) and
    ``lifetimes`` their ``(first, last)`` step (weights: the whole program); ``peak`` is the
    highest byte used, ``resident`` the bytes of resident weights below the activations."""
    graph: Graph
    x: np.ndarray
    golden: GoldenRun
    image: np.ndarray
    used: int
    tcdm_bytes: int
    steps: list[NetStep]
    placements: list[Placement]
    floorplan: Floorplan | None
    arrays: int
    rows: int = 256
    cols: int = 256
    peak: int = 0
    buffers: dict[str, Buffer] = field(default_factory=dict)
    lifetimes: dict[str, tuple[int, int]] = field(default_factory=dict)
    resident: int = 0
    #: IMAs the program uses (``ima_of``); ``arrays`` is per IMA, a placement's ``array`` global
    imas: int = 1

    @property
    def phases(self) -> list[Phase]:
        """Every phase of every step, in order."""
        return [ph for s in self.steps for ph in s.phases]

    def summary(self) -> dict[str, Any]:
        """Plain counts for reports: steps per unit, jobs, phases, memory, arrays."""
        ima = [ph.args["layer"] for ph in self.phases if ph.kind == "ima"]
        return {"layers": len(self.steps),
                "units": {u: sum(s.unit == u for s in self.steps) for u in UNITS},
                "phases": len(self.phases),
                "ima_layer_jobs": sum(len(lm.jobs) for lm in ima),
                "ima_jobs": sum(lm.num_jobs for lm in ima),
                "dwa_jobs": sum(ph.kind == "dwa" for ph in self.phases),
                "sw_phases": sum(ph.kind.startswith("sw_") for ph in self.phases),
                "arrays": self.arrays, "placements": len(self.placements),
                "peak_bytes": self.peak, "resident_bytes": self.resident,
                "tcdm_bytes": self.tcdm_bytes, "used": self.used,
                "macs": sum(s.macs for s in self.steps)}


def layer_unit(layer: Layer, fc_unit: str = "cores") -> str:
    """The unit that runs ``layer``: ``"ima"``, ``"dwa"`` or ``"cores"`` (ValueError naming the
    layer when no unit can)."""
    if layer.kind in ("conv", "pointwise"):
        return "ima"
    if layer.kind == "fc":
        return fc_unit
    if layer.kind == "depthwise":
        if layer.kernel != 3:
            raise ValueError(f"layer {layer.name}: only 3x3 depth-wise layers are supported (the "
                             f"depth-wise accelerator's kernel), not {layer.kernel}x{layer.kernel}")
        return "dwa"
    if layer.kind in ("add", "avgpool", "maxpool", "concat"):
        return "cores"
    raise ValueError(f"layer {layer.name}: no unit runs a {layer.kind!r} layer")


def _positive(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                              or value < 1):
        raise ValueError(f"{name} must be a positive integer or None, not {value!r}")
    return None if value is None else int(value)


def _round_up(n, a=ALIGN):
    return -(-n // a) * a


@dataclass
class _Item:
    """A buffer to allocate: shape, dtype, padding and its lifetime in steps."""
    name: str
    shape: tuple[int, ...]
    dtype: str
    pad: int
    first: int
    last: int

    @property
    def nbytes(self) -> int:
        return Buffer(self.name, 0, self.shape, self.dtype, self.pad).nbytes

    def overlaps(self, other: _Item) -> bool:
        return self.first <= other.last and other.first <= self.last


def _allocate(items: list[_Item], base: int) -> dict[str, int]:
    """Greedy by size: each buffer at the lowest aligned address ``>= base`` free of every
    already placed buffer whose lifetime overlaps its own."""
    placed: list[tuple[int, int, _Item]] = []
    addrs = {}
    for i in sorted(range(len(items)), key=lambda i: (-items[i].nbytes, items[i].first, i)):
        it = items[i]
        size = _round_up(it.nbytes)
        addr = base
        for a, e in sorted((a, e) for a, e, o in placed if o.overlaps(it)):
            if addr + size <= a:
                break
            addr = max(addr, _round_up(e))
        placed.append((addr, addr + size, it))
        addrs[it.name] = addr
    return addrs


def _check_layer(layer: Layer, unit: str, dtypes: dict[str, str], shapes: dict, rows: int) -> None:
    """Layer-level restrictions of the units (ValueError naming the layer)."""
    src = layer.inputs[0]
    for t in layer.inputs[:1] if layer.kind == "add" else layer.inputs:
        if dtypes[t] != "uint8":
            raise ValueError(f"layer {layer.name}: its input {t!r} is {dtypes[t]}; the "
                             f"{unit} reads unsigned 8-bit activations")
    if layer.kind == "add" and shapes[layer.inputs[1]] != tuple(layer.in_shape):
        raise ValueError(f"layer {layer.name}: adds {src!r} {shapes[src]} and {layer.inputs[1]!r} "
                         f"{shapes[layer.inputs[1]]}; the shapes must match")
    if unit == "cores" and layer.kind in ("conv", "pointwise") and layer.row_splits:
        raise ValueError(f"layer {layer.name}: on the cores a {layer.kind} layer runs whole; its "
                         f"row_splits {tuple(layer.row_splits)} (partials clipped to 8 bits) have no "
                         f"software kernel: build the graph without row splits (rows=None)")
    if unit != "ima":
        return
    if layer.w_bits != 4:
        raise ValueError(f"layer {layer.name}: the IMA holds 4-bit weights, not w_bits={layer.w_bits}")
    nrows = layer.xbar_shape[0]
    want = tuple(range(rows, nrows, rows))
    if nrows > rows and layer.kind == "conv" and layer.kernel > 1:
        raise ValueError(f"layer {layer.name}: a {layer.kernel}x{layer.kernel} conv with {nrows} "
                         f"crossbar rows does not fit one {rows}-row array, and row pieces of a KxK "
                         f"conv would cut a kernel row's (kx, c) run, which the streamer's 3-D "
                         f"source walk cannot express (only 1x1 layers and fc are row-split)")
    if tuple(layer.row_splits) != want:
        raise ValueError(f"layer {layer.name}: on {rows}-row arrays its {nrows} crossbar rows need "
                         f"row_splits {want} (the multiples of the array rows), not "
                         f"{tuple(layer.row_splits)}")


def compile_graph(graph: Graph, x: np.ndarray, hw: HwLimits, *, arrays: int | None = None,
                  fc_unit: str = "cores", tcdm_bytes: int | None = None,
                  sw_layers: Collection[str] = (), ima_of: Mapping[str, int] | None = None
                  ) -> NetProgram:
    """Compile ``graph`` with input ``x`` for the hardware ``hw`` (see the module docstring).

    Parameters
    ----------
    graph : Graph
    x : uint8 array of ``graph.input_shape``
        The input the program's image holds; the golden run on it gives every step's expected
        output.
    hw : HwLimits
        ``rows``, ``cols`` (one crossbar array), ``dac_depth``, ``adc_depth`` (IMA buffers).
    arrays : int, optional
        Crossbars available; None opens as many as Tile&Pack needs.
    fc_unit : "cores" or "ima"
        Where fully connected layers run.
    tcdm_bytes : int, optional
        TCDM size of the program; None -> the smallest power of two >= the peak.
    sw_layers : collection of str
        Layers forced onto the cores whatever their kind (partial coverage: the layers a
        placement of :func:`sim_models.coverage.place` leaves off the tiles); see "Software
        layers" in the module docstring. Empty (the default): every layer on its unit.
    ima_of : mapping of str to int, optional
        Private IMAs (tight coupling, ``ClusterConfig.imas`` > 1): the IMA ``k`` of each IMA
        layer (the owning core's; absent: 0). Each IMA gets its own Tile&Pack on ``arrays``
        crossbars; a placement's ``array`` is then ``k * program.arrays + `` its array on IMA
        ``k`` (the LayerJobs keep the local index, their ``J_ARRAY``), and an IMA phase's args
        also name the IMA: ``{"layer": lm, "layers": {k: lm}}`` (what the cluster testbench runs
        on IMA ``k`` from core ``k``). None (the default): one IMA, today's program.

    Raises
    ------
    ValueError
        A bad parameter (named), a layer no unit can run or that does not fit (named), too few
        arrays (the layers named), ``tcdm_bytes`` smaller than the peak.
    """
    if fc_unit not in FC_UNITS:
        raise ValueError(f"fc_unit must be one of {FC_UNITS}, not {fc_unit!r}")
    arrays = _positive("arrays", arrays)
    tcdm_bytes = _positive("tcdm_bytes", tcdm_bytes)
    if isinstance(sw_layers, str):
        raise ValueError(f"sw_layers must be a collection of layer names, not the string {sw_layers!r}")
    sw_layers = frozenset(sw_layers)
    unknown = sorted(sw_layers - {lay.name for lay in graph.layers})
    if unknown:
        raise ValueError(f"sw_layers: no layer named {', '.join(map(repr, unknown))} in the graph")
    ima_of = None if ima_of is None else dict(ima_of)
    for k in (ima_of or {}).values():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"ima_of: IMA indices are integers >= 0, not {k!r}")
    rows, cols = int(hw.rows), int(hw.cols)
    gold = run_golden(graph, x)
    n = len(graph.layers)

    # ---------------------------------------------------------------- units, types, padding
    shapes: dict[str, tuple[int, ...]] = {INPUT: tuple(graph.input_shape)}
    dtypes: dict[str, str] = {INPUT: "uint8"}
    units: dict[str, str] = {}
    producer: dict[str, int] = {INPUT: -1}
    for i, layer in enumerate(graph.layers):
        units[layer.name] = "cores" if layer.name in sw_layers else layer_unit(layer, fc_unit)
        _check_layer(layer, units[layer.name], dtypes, shapes, rows)
        shapes[layer.name] = tuple(layer.out_shape)
        dtypes[layer.name] = np.dtype(golden.out_dtype(layer.out_lo)).name
        producer[layer.name] = i
    last: dict[str, int] = {t: max(producer[t], 0) for t in shapes}
    last[graph.output] = n - 1
    pads = {t: 0 for t in shapes}
    for i, layer in enumerate(graph.layers):
        for t in layer.inputs:
            last[t] = max(last[t], i)
        if layer.kind in ("conv", "depthwise"):
            pads[layer.inputs[0]] = max(pads[layer.inputs[0]], layer.pad)
    for layer in graph.layers:
        if layer.kind == "fc" and pads[layer.inputs[0]]:
            raise ValueError(f"layer {layer.name}: reads {layer.inputs[0]!r} flat, but a KxK layer "
                             f"reads it padded; one buffer cannot serve both")
        if layer.kind == "fc" and units[layer.name] == "cores" and pads[layer.name]:
            raise ValueError(f"layer {layer.name}: the cores' fc kernel writes a flat output, but a "
                             f"KxK layer reads {layer.name!r} padded")
        want = layer.pad if layer.kind in ("conv", "depthwise") else 0
        if (units[layer.name] == "cores" and layer.kind in ("conv", "depthwise")
                or layer.kind == "pointwise" and units[layer.name] == "cores" and layer.stride > 1) \
                and pads[layer.inputs[0]] != want:
            raise ValueError(f"layer {layer.name}: the cores' {layer.kind} kernel reads its input "
                             f"{layer.inputs[0]!r} with padding {want}, but the buffer is padded by "
                             f"{pads[layer.inputs[0]]} for another consumer")

    # ---------------------------------------------------------------- Tile&Pack (per IMA)
    xbar_layers = [lay for lay in graph.layers if units[lay.name] == "ima"]
    if ima_of is not None:
        bad = sorted(set(ima_of) - {lay.name for lay in xbar_layers})
        if bad:
            raise ValueError(f"ima_of: {', '.join(map(repr, bad))} not on the IMA (no such layer, "
                             f"or a layer that runs elsewhere)")
    owner = {lay.name: int((ima_of or {}).get(lay.name, 0)) for lay in xbar_layers}
    n_imas = max(owner.values(), default=0) + 1 if ima_of is not None else 1
    floorplans: dict[int, Floorplan] = {}
    for k in range(n_imas):
        group = [lay for lay in xbar_layers if owner[lay.name] == k]
        if not group:
            continue
        try:
            floorplans[k] = tile_and_pack([WeightMatrix(lay.name, *lay.xbar_shape) for lay in group],
                                          rows, cols, arrays)
        except ValueError as e:
            raise ValueError(f"arrays: {e}{f' (IMA {k})' if n_imas > 1 else ''}") from e
    floorplan = floorplans.get(0)
    n_arrays = max([1] + [fp.arrays_used for fp in floorplans.values()])

    # ---------------------------------------------------------------- buffers
    weights: list[tuple[str, np.ndarray]] = []        # resident (name, int8 bytes)
    items = [_Item(t, shapes[t], dtypes[t], pads[t], max(producer[t], 0), last[t]) for t in shapes]
    for i, layer in enumerate(graph.layers):
        unit = units[layer.name]
        pieces = row_pieces(layer) if layer.row_splits else []     # crossbar kinds only
        items += [_Item(f"{layer.name}.p{t}", shapes[layer.name], "int8", 0, i, i)
                  for t in range(len(pieces))]
        if unit == "dwa":
            weights.append((f"{layer.name}.w", np.transpose(layer.weights, (1, 2, 0))))
        elif unit == "cores" and layer.kind in ("conv", "pointwise", "depthwise"):
            weights.append((f"{layer.name}.w", layer.weights))    # the kernels' layouts (graph.py)
            if layer.kind == "depthwise":                         # the CHW copy of the input
                src = layer.inputs[0]
                hp, wp = (s + 2 * pads[src] for s in shapes[src][:2])
                items.append(_Item(f"{layer.name}.chw", (hp, wp, shapes[src][2]), "uint8", 0, i, i))
        elif unit == "cores" and layer.kind == "fc":
            w = layer.weights.reshape(layer.weights.shape[0], -1)
            if pieces:
                weights += [(f"{layer.name}.w{t}", w[:, r0:r1]) for t, (r0, r1) in enumerate(pieces)]
            else:
                weights.append((f"{layer.name}.w", w))
    buffers: dict[str, Buffer] = {}
    lifetimes: dict[str, tuple[int, int]] = {}
    top = 0
    for name, w in weights:
        buffers[name] = Buffer(name, top, tuple(w.shape), "int8")
        lifetimes[name] = (0, n - 1)
        top = _round_up(top + w.size)
    addrs = _allocate(items, top)
    for it in items:
        buffers[it.name] = Buffer(it.name, addrs[it.name], tuple(it.shape), it.dtype, it.pad)
        lifetimes[it.name] = (it.first, it.last)
    peak = max([top] + [b.addr + b.nbytes for b in buffers.values()])
    if tcdm_bytes is None:
        tcdm_bytes = 1 << max(peak - 1, 1).bit_length()
    elif tcdm_bytes < peak:
        raise ValueError(f"tcdm_bytes {tcdm_bytes} is smaller than the program's peak TCDM use "
                         f"({peak} bytes)")

    # ---------------------------------------------------------------- steps
    fresh = {it.name: not any(o.last < it.first and _overlap(buffers[o.name], buffers[it.name])
                              for o in items) for it in items}
    steps, placements = [], []
    for layer in graph.layers:
        name, unit = layer.name, units[layer.name]
        dst = buffers[name]
        phases = [("zero_ring", "sw_zero_ring", {"buf": dst})] if dst.pad and not fresh[name] else []
        k = owner.get(name, 0)
        mine: list[Placement] = []
        try:
            phases += _layer_phases(layer, unit, buffers, floorplans.get(k), hw, tcdm_bytes, n_arrays,
                                    mine)
        except ValueError as e:
            raise ValueError(e if str(e).startswith(f"layer {name}") else f"layer {name}: {e}") from e
        if ima_of is not None:               # private IMAs: name the IMA, its arrays globally
            phases = [(part, kind, {**args, "layers": {k: args["layer"]}} if kind == "ima" else args)
                      for part, kind, args in phases]
            mine = [replace(p, array=k * n_arrays + p.array) for p in mine]
        placements += mine
        named = [Phase(name if len(phases) == 1 else f"{name}.{part}", kind, args)
                 for part, kind, args in phases]
        steps.append(NetStep(name, layer.kind, unit, named, dst, gold.tensors[name], layer.macs,
                             floorplans[k].arrays_of(name) if unit == "ima" else ()))
    check_disjoint(placements, rows, cols, n_arrays * n_imas)

    # ---------------------------------------------------------------- initial image
    image = np.zeros(tcdm_bytes, dtype=np.uint8)
    buffers[INPUT].write(image, gold.tensors[INPUT])
    used = buffers[INPUT].addr + buffers[INPUT].nbytes
    for wname, w in weights:
        b = buffers[wname]
        image[b.addr:b.addr + b.nbytes] = np.ascontiguousarray(w, dtype=np.int8).reshape(-1).view(np.uint8)
        used = max(used, b.addr + b.nbytes)
    return NetProgram(graph, gold.tensors[INPUT], gold, image, used, tcdm_bytes, steps, placements,
                      floorplan, n_arrays, rows, cols, peak, buffers, lifetimes, top, n_imas)


def _overlap(a: Buffer, b: Buffer) -> bool:
    return a.addr < b.addr + b.nbytes and b.addr < a.addr + a.nbytes


def _layer_phases(layer: Layer, unit: str, buffers: dict[str, Buffer], floorplan: Floorplan | None,
                  hw: HwLimits, tcdm_bytes: int, arrays: int,
                  placements: list[Placement]) -> list[tuple[str, str, dict[str, Any]]]:
    """``[(part, kind, args)]`` of one layer (the zero-ring phase aside); appends the crossbar
    windows of an IMA layer to ``placements``."""
    name = layer.name
    src, dst = buffers[layer.inputs[0]], buffers[name]
    pieces = row_pieces(layer) if layer.row_splits else []
    phases: list[tuple[str, str, dict[str, Any]]] = []
    if unit == "ima":
        lms = _map_xbar(layer, src, dst, floorplan, buffers)
        for lm in lms:
            lm.validate(hw.rows, hw.cols, tcdm_bytes, arrays)
            for job in lm.jobs:
                job.validate(dac_depth=hw.dac_depth, adc_depth=hw.adc_depth)
            placements += lm.placements
        phases += [("ima" if len(lms) == 1 else f"r{t}", "ima", {"layer": lm}) for t, lm in enumerate(lms)]
    elif unit == "dwa":
        dl: DwaLayer = map_depthwise_dwa(layer.in_shape, layer.weights, layer.adc, stride=layer.stride,
                                         pad=layer.pad, src=src, dst=dst, w_buf=buffers[f"{name}.w"],
                                         name=name, alloc=TcdmAllocator(tcdm_bytes))
        phases.append(("dwa", "dwa", {"job": dl.validate(tcdm_bytes).job}))
    elif layer.kind == "pointwise" and layer.stride == 1:              # 1x1 on the cores
        phases.append(("sw", "sw_pointwise", {"src": src, "w_buf": buffers[f"{name}.w"], "dst": dst,
                                              "adc": tuple(layer.adc)}))
    elif layer.kind in ("conv", "pointwise"):                           # KxK / strided 1x1
        k = layer.kernel if layer.kind == "conv" else 1
        phases.append(("sw", "sw_conv", {"src": src, "w_buf": buffers[f"{name}.w"], "dst": dst,
                                         "adc": tuple(layer.adc), "k": k, "stride": layer.stride}))
    elif layer.kind == "depthwise":                                     # HWC -> CHW, then CHW kernel
        chw = buffers[f"{name}.chw"]
        phases.append(("hwc2chw", "sw_hwc_to_chw", {"src": src, "dst_addr": chw.addr}))
        phases.append(("sw", "sw_depthwise_chw", {"chw_addr": chw.addr, "padded_shape": src.padded_shape,
                                                  "w_buf": buffers[f"{name}.w"], "dst": dst,
                                                  "adc": tuple(layer.adc), "k": layer.kernel,
                                                  "stride": layer.stride}))
    elif layer.kind == "add":
        phases.append(("sw", "sw_residual", {"x_buf": src, "p_buf": buffers[layer.inputs[1]], "y_buf": dst}))
    elif layer.kind == "avgpool":
        phases.append(("sw", "sw_avgpool", {"src": src, "dst": dst, "k": layer.kernel,
                                            "adc": tuple(layer.adc)}))
    elif layer.kind == "maxpool":
        phases.append(("sw", "sw_maxpool", {"src": src, "dst": dst, "k": layer.kernel,
                                            "stride": layer.stride, "pad": layer.pad}))
    elif layer.kind == "concat":
        phases.append(("sw", "sw_concat", {"srcs": [buffers[t] for t in layer.inputs], "dst": dst}))
    elif not pieces:                                                    # fc on the cores
        phases.append(("sw", "sw_fc", {"src": src, "w_buf": buffers[f"{name}.w"], "dst": dst,
                                       "adc": tuple(layer.adc)}))
    else:                                                               # row-split fc on the cores
        for t, (r0, r1) in enumerate(pieces):
            view = Buffer(f"{src.name}[{r0}:{r1}]", src.addr + r0, (r1 - r0,), src.dtype)
            phases.append((f"r{t}", "sw_fc", {"src": view, "w_buf": buffers[f"{name}.w{t}"],
                                              "dst": buffers[f"{name}.p{t}"],
                                              "adc": tuple(layer.partial_adc)}))
    if pieces:
        parts = [buffers[f"{name}.p{t}"] for t in range(len(pieces))]
        phases.append(("sum", "sw_add_partials", {"parts": parts, "dst": dst, "adc": tuple(layer.adc)}))
    return phases


def _map_xbar(layer: Layer, src: Buffer, dst: Buffer, floorplan: Floorplan,
              buffers: dict[str, Buffer]) -> list[LayerMapping]:
    """The LayerMappings of a crossbar layer: one, or one per row piece writing its partials."""
    tiles: dict[int, list[ColumnTile]] = {}
    for p in floorplan.of_layer(layer.name):
        tiles.setdefault(p.tile[0], []).append(
            ColumnTile(p.array, p.row, p.col, floorplan.source(p)[1], p.width))
    pieces = row_pieces(layer)
    out = []
    for t, (r0, r1) in enumerate(pieces):
        split = len(pieces) > 1
        kw = dict(tiles=tiles[t], src=src, in_slice=(r0, r1) if split else None,
                  dst=buffers[f"{layer.name}.p{t}"] if split else dst,
                  name=f"{layer.name}.r{t}" if split else layer.name)
        adc = layer.partial_adc if split else layer.adc
        if layer.kind == "fc":
            out.append(map_fc(layer.in_shape, layer.weights.reshape(layer.weights.shape[0], -1), adc, **kw))
        elif layer.kind == "pointwise":
            out.append(map_pointwise(layer.in_shape, layer.weights, adc, stride=layer.stride, **kw))
        else:
            out.append(map_conv(layer.in_shape, layer.weights, adc, stride=layer.stride, pad=layer.pad,
                                **kw))
    return out

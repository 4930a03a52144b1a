"""Software kernels run by the core BFMs, split over the cores as PULP-NN splits them.

Each kernel is ``async def kernel(core, part, parts, ...)`` for one core's share. It loads its
working set through the RTL (:class:`tb.bfm.core.Core`), computes on the bytes it actually loaded
with the integer reference arithmetic of :mod:`sim_models.golden`, stores its results through the
RTL, and pads its time to the cost model (:mod:`sim_models.swcost`). What the cores compute is
therefore checked bit-exactly by the caller, like the IMA's outputs.

Traffic model: a kernel loads its *working set* once (e.g. its input rows and the weights) and
stores each output once; the cost model's cycles already contain every load/store instruction of
the real inner loop, so the accesses issued here only add the bank-conflict stalls they meet.

Work split (PULP-NN): pointwise / conv / fully connected by output pixels (fc: by output
neurons), depthwise by channels, HWC->CHW, the residual add and the sum of partials by pixels,
the average pool by channels (a global pool has one output pixel), the max pool by output rows,
the channel concatenation by pixels, the padding ring by its contiguous runs.

Element-wise kernels (residual, sum of partials) read and write padded buffers through their
interiors (pixel rows); on unpadded buffers they issue one contiguous access per core.
"""

import numpy as np

from sim_models import golden
from sim_models.mapping import ring_runs
from sim_models.swcost import DEFAULT_COST, chunk
from tb.bfm.core import now

__all__ = ["chunk", "sw_pointwise", "sw_conv", "sw_fc", "sw_hwc_to_chw", "sw_depthwise_chw",
           "sw_residual", "sw_add_partials", "sw_avgpool", "sw_maxpool", "sw_concat", "sw_zero_ring",
           "ring_runs"]


def _pixel_addr(buf, y, x):
    """Byte address of HWC pixel (y, x) of a (possibly padded) buffer's interior."""
    _, wp, c = buf.padded_shape
    return buf.interior_addr + (y * wp + x) * c


async def _store_pixels(core, buf, pixels, values):
    """Store HWC rows of output pixels (values: [n, C] bytes) at their (y, x) in ``buf``."""
    w = buf.shape[1]
    i = 0
    while i < len(pixels):
        y, x = divmod(pixels[i], w)
        run = min(w - x, len(pixels) - i)           # contiguous until the end of the row
        await core.store_bytes(_pixel_addr(buf, y, x), values[i:i + run].reshape(-1))
        i += run


async def _load_pixels(core, buf, pixels):
    w, c = buf.shape[1], buf.shape[2]
    out = np.empty((len(pixels), c), dtype=np.uint8)
    i = 0
    while i < len(pixels):
        y, x = divmod(pixels[i], w)
        run = min(w - x, len(pixels) - i)
        out[i:i + run] = (await core.load_bytes(_pixel_addr(buf, y, x), run * c)).reshape(run, c)
        i += run
    return out


async def _load_span(core, buf, p0, p1):
    """Pixels ``p0..p1`` (row-major over the interior) of an HWC buffer as ``[n, C]`` bytes: one
    contiguous load when the buffer has no padding, pixel rows otherwise."""
    c = buf.shape[-1]
    if not buf.pad:
        return (await core.load_bytes(buf.addr + p0 * c, (p1 - p0) * c)).reshape(p1 - p0, c)
    return await _load_pixels(core, buf, list(range(p0, p1)))


async def _store_span(core, buf, p0, values):
    """Store ``[n, C]`` bytes as pixels ``p0..`` of an HWC buffer (see :func:`_load_span`)."""
    values = np.asarray(values)
    if values.dtype.itemsize != 1:
        raise TypeError(f"store of {buf.name}: bytes expected (uint8 / int8), not {values.dtype}")
    values = values.view(np.uint8).reshape(-1, buf.shape[-1])
    if not buf.pad:
        await core.store_bytes(buf.addr + p0 * buf.shape[-1], values)
        return
    await _store_pixels(core, buf, list(range(p0, p0 + len(values))), values)


def _pixels(buf):
    """Pixels of an HWC buffer's interior (a flat buffer counts its bytes, one channel each)."""
    return int(np.prod(buf.shape[:-1])) if len(buf.shape) > 1 else int(buf.shape[0])


async def sw_pointwise(core, part, parts, src, w_buf, dst, adc, cost=DEFAULT_COST):
    """1x1 convolution, HWC: ``dst[p] = requant(W @ src[p])``; W [C_out, C_in] int8 in TCDM."""
    t0 = now()
    h, wd, cin = src.shape
    cout = dst.shape[2]
    p0, p1 = chunk(h * wd, part, parts)
    if p1 > p0:
        pixels = list(range(p0, p1))
        x = await _load_pixels(core, src, pixels)
        w = (await core.load_bytes(w_buf.addr, cout * cin)).view(np.int8).reshape(cout, cin)
        acc = x.astype(np.int64) @ w.astype(np.int64).T
        y = golden.requant(acc, *adc).astype(np.int64) & 0xFF
        await _store_pixels(core, dst, pixels, y.astype(np.uint8))
    await core.kernel_time(cost.matmul((p1 - p0) * cin * cout), t0)


async def sw_conv(core, part, parts, src, w_buf, dst, adc, k, stride, cost=DEFAULT_COST):
    """KxK convolution on a pre-padded HWC input; W [C_out, K, K, C_in] int8 in TCDM."""
    t0 = now()
    ho, wo, cout = dst.shape
    cin = src.shape[2]
    r0, r1 = chunk(ho, part, parts)                  # output rows of this core
    if r1 > r0:
        hp, wp, _ = src.padded_shape
        in_r0, in_r1 = r0 * stride, (r1 - 1) * stride + k
        band = (await core.load_bytes(src.addr + in_r0 * wp * cin, (in_r1 - in_r0) * wp * cin))
        band = band.reshape(in_r1 - in_r0, wp, cin)
        w = (await core.load_bytes(w_buf.addr, cout * k * k * cin)).view(np.int8)
        w = w.reshape(cout, k, k, cin)
        acc = golden.conv2d_acc(band, w, stride)[:r1 - r0]
        y = (golden.requant(acc, *adc).astype(np.int64) & 0xFF).astype(np.uint8)
        pixels = list(range(r0 * wo, r1 * wo))
        await _store_pixels(core, dst, pixels, y.reshape(-1, cout))
    await core.kernel_time(cost.matmul((r1 - r0) * wo * k * k * cin * cout), t0)


async def sw_fc(core, part, parts, src, w_buf, dst, adc, cost=DEFAULT_COST):
    """Fully connected: output neurons split over the cores; W [C_out, C_in] int8 in TCDM."""
    t0 = now()
    cin, cout = src.nbytes, dst.nbytes
    o0, o1 = chunk(cout, part, parts)
    if o1 > o0:
        x = await core.load_bytes(src.addr, cin)
        w = (await core.load_bytes(w_buf.addr + o0 * cin, (o1 - o0) * cin)).view(np.int8)
        acc = w.astype(np.int64).reshape(o1 - o0, cin) @ x.astype(np.int64)
        y = (golden.requant(acc, *adc).astype(np.int64) & 0xFF).astype(np.uint8)
        await core.store_bytes(dst.addr + o0, y)
    await core.kernel_time(cost.matmul((o1 - o0) * cin), t0)


async def sw_hwc_to_chw(core, part, parts, src, dst_addr, cost=DEFAULT_COST):
    """Re-layout a padded HWC buffer (all of it, padding included) into CHW planes at ``dst_addr``."""
    t0 = now()
    hp, wp, c = src.padded_shape
    n = hp * wp
    p0, p1 = chunk(n, part, parts)
    if p1 > p0:
        block = (await core.load_bytes(src.addr + p0 * c, (p1 - p0) * c)).reshape(p1 - p0, c)
        for ch in range(c):
            await core.store_bytes(dst_addr + ch * n + p0, block[:, ch])
    await core.kernel_time(cost.hwc2chw((p1 - p0) * c), t0)


async def sw_depthwise_chw(core, part, parts, chw_addr, padded_shape, w_buf, dst, adc, k=3,
                           stride=1, cost=DEFAULT_COST):
    """KxK depthwise on CHW planes (PULP-NN), channels split over the cores; HWC output."""
    t0 = now()
    hp, wp, c = padded_shape
    ho, wo, _ = dst.shape
    c0, c1 = chunk(c, part, parts)
    if c1 > c0:
        planes = (await core.load_bytes(chw_addr + c0 * hp * wp, (c1 - c0) * hp * wp))
        planes = planes.reshape(c1 - c0, hp, wp).transpose(1, 2, 0)        # HWC view for golden
        w = (await core.load_bytes(w_buf.addr + c0 * k * k, (c1 - c0) * k * k)).view(np.int8)
        acc = golden.depthwise_acc(planes, w.reshape(c1 - c0, k, k), stride)
        y = (golden.requant(acc, *adc).astype(np.int64) & 0xFF).astype(np.uint8)
        for yy in range(ho):
            for xx in range(wo):
                await core.store_bytes(_pixel_addr(dst, yy, xx) + c0, y[yy, xx])
    await core.kernel_time(cost.depthwise(ho * wo * (c1 - c0), k), t0)


async def sw_residual(core, part, parts, x_buf, p_buf, y_buf, cost=DEFAULT_COST):
    """``y = clamp(x + p, 0, 255)`` (x uint8; p int8 or uint8, as ``p_buf.dtype`` says: a
    projection's signed output or another uint8 tensor), pixels split over the cores."""
    t0 = now()
    c = x_buf.shape[-1]
    b0, b1 = chunk(_pixels(x_buf), part, parts)
    if b1 > b0:
        x = (await _load_span(core, x_buf, b0, b1)).reshape(-1)
        p = (await _load_span(core, p_buf, b0, b1)).reshape(-1).view(p_buf.dtype)
        await _store_span(core, y_buf, b0, golden.residual_add(x, p).reshape(b1 - b0, c))
    await core.kernel_time(cost.residual((b1 - b0) * c), t0)


async def sw_add_partials(core, part, n_cores, /, parts, dst, adc, cost=DEFAULT_COST):
    """A row-split layer's output: ``dst = requant(sum_t parts[t], adc)`` -- the int8 partials the
    IMA wrote for each row piece (the Buffers ``parts``), added in 32 bits
    (:mod:`sim_models.graph`, row splits); pixels split over the ``n_cores`` cores (positional
    only: the phase's ``parts`` names the partial buffers)."""
    t0 = now()
    c = dst.shape[-1]
    b0, b1 = chunk(_pixels(dst), part, n_cores)
    if b1 > b0:
        total = np.zeros((b1 - b0, c), dtype=np.int64)
        for buf in parts:
            total += (await _load_span(core, buf, b0, b1)).view(np.int8)
        y = golden.requant(total, *adc).astype(golden.out_dtype(adc[2]))
        await _store_span(core, dst, b0, y)
    await core.kernel_time(cost.add_partials((b1 - b0) * c, len(parts)), t0)


async def sw_avgpool(core, part, parts, src, dst, k, adc, cost=DEFAULT_COST):
    """Average pool, kernel ``k`` = stride ``k``, no padding, HWC: ``dst[y, x, c] = requant(sum of
    the k x k window of channel c)`` (:func:`sim_models.graph.layer_golden`); channels split over
    the cores (a global pool has a single output pixel)."""
    t0 = now()
    ho, wo, c = dst.shape
    c0, c1 = chunk(c, part, parts)
    if c1 > c0:
        n = c1 - c0
        rows = []                                       # the ho*k input rows the windows cover
        for yy in range(ho * k):
            run = await core.load_strided(_pixel_addr(src, yy, 0) + c0, n, src.shape[2], wo * k)
            rows.append(run)
        x = np.stack(rows).astype(np.int64)             # [ho*k, wo*k, n]
        acc = x.reshape(ho, k, wo, k, n).sum(axis=(1, 3))
        y = golden.requant(acc, *adc).astype(golden.out_dtype(adc[2])).view(np.uint8)
        for yy in range(ho):
            for xx in range(wo):
                await core.store_bytes(_pixel_addr(dst, yy, xx) + c0, y[yy, xx])
    await core.kernel_time(cost.avgpool(ho * k * wo * k * (c1 - c0), ho * wo * (c1 - c0)), t0)


async def sw_maxpool(core, part, parts, src, dst, k, stride, pad, cost=DEFAULT_COST):
    """Max pool, ``k x k`` windows with ``stride``, HWC uint8: ``dst[y, x, c]`` = the maximum of
    the window's input values (windows clipped to the input: padding ``pad`` acts as -inf, i.e. as
    0 for unsigned codes); output rows split over the cores, each core loading the input rows its
    windows cover."""
    t0 = now()
    h, w, c = src.shape
    ho, wo, _ = dst.shape
    r0, r1 = chunk(ho, part, parts)
    if r1 > r0:
        y0, y1 = max(0, r0 * stride - pad), min(h, (r1 - 1) * stride - pad + k)
        xp = np.zeros((h + 2 * pad, w + 2 * pad, c), dtype=np.uint8)
        xp[pad + y0:pad + y1, pad:pad + w] = (await _load_span(core, src, y0 * w, y1 * w)).reshape(-1, w, c)
        y = np.zeros((r1 - r0, wo, c), dtype=np.uint8)
        for ky in range(k):
            for kx in range(k):
                y = np.maximum(y, xp[r0 * stride + ky:(r1 - 1) * stride + ky + 1:stride,
                                     kx:(wo - 1) * stride + kx + 1:stride])
        await _store_span(core, dst, r0 * wo, y.reshape(-1, c))
    await core.kernel_time(cost.maxpool((r1 - r0) * wo * c, k), t0)


async def sw_concat(core, part, parts, srcs, dst, cost=DEFAULT_COST):
    """Channel concatenation, HWC: ``dst[p] = srcs[0][p] ++ srcs[1][p] ++ ...``; pixels split over
    the cores (each operand's channel run of a pixel is one copy run of the cost model)."""
    t0 = now()
    b0, b1 = chunk(_pixels(dst), part, parts)
    if b1 > b0:
        rows = [await _load_span(core, b, b0, b1) for b in srcs]
        await _store_span(core, dst, b0, np.concatenate(rows, axis=1))
    await core.kernel_time(cost.concat((b1 - b0) * dst.shape[-1], (b1 - b0) * len(srcs)), t0)


async def sw_zero_ring(core, part, parts, buf, cost=DEFAULT_COST):
    """Zero the padding ring of a padded buffer whose bytes may hold an earlier tensor (the IMA
    and the depth-wise accelerator read pre-padded inputs; producers write the interior only);
    the ring's runs (:func:`ring_runs`) split over the cores."""
    t0 = now()
    runs = ring_runs(buf)
    r0, r1 = chunk(len(runs), part, parts)
    nbytes = 0
    for addr, n in runs[r0:r1]:
        await core.store_bytes(addr, np.zeros(n, dtype=np.uint8))
        nbytes += n
    await core.kernel_time(cost.zero_fill(nbytes, r1 - r0), t0)

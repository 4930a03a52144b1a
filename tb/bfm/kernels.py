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
neurons), depthwise by channels, HWC->CHW and the residual add by pixels.
"""

import numpy as np

from sim_models import golden
from sim_models.swcost import DEFAULT_COST
from tb.bfm.core import now

__all__ = ["chunk", "sw_pointwise", "sw_conv", "sw_fc", "sw_hwc_to_chw", "sw_depthwise_chw",
           "sw_residual"]


def chunk(n, part, parts):
    """The ``part``-th of ``parts`` near-equal contiguous slices of ``range(n)``."""
    q, r = divmod(n, parts)
    lo = part * q + min(part, r)
    return lo, lo + q + (1 if part < r else 0)


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
    """``y = clamp(x + p, 0, 255)`` (x uint8, p int8), pixels split over the cores."""
    t0 = now()
    n = x_buf.nbytes
    b0, b1 = chunk(n // x_buf.shape[2], part, parts)
    c = x_buf.shape[2]
    lo, hi = b0 * c, b1 * c
    if hi > lo:
        x = await core.load_bytes(x_buf.addr + lo, hi - lo)
        p = (await core.load_bytes(p_buf.addr + lo, hi - lo)).view(np.int8)
        await core.store_bytes(y_buf.addr + lo, golden.residual_add(x, p))
    await core.kernel_time(cost.residual(hi - lo), t0)

"""Specs of HW2P1: resampling, convolutions (stride 1, strided = stride 1 then Downsample,
transposed = Upsample then stride 1), Flatten and pooling, channels-first as in torch.

Strided layers hold their weights in the handout's inner layer (``conv1d_stride1.W``), which
is where the weights are set and ``dLdW``/``dLdb`` are read. The strided convolutions are
sampled without padding, which every edition's constructor accepts; ``conv1d_padded`` and
``conv2d_padded`` check the handouts whose ``Conv1d``/``Conv2d`` also take ``padding`` (zero
padding on both sides, the gradient unpadded; their autograder compares with torch's
``padding=``). Code whose constructor has no ``padding`` is not matched to those two."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import gradverify.impl.mytorch.conv as conv
import gradverify.impl.mytorch.pool as pool
import gradverify.impl.mytorch.resampling as rs
from gradverify.core.course_adapters import LayerObject
from gradverify.core.references import references
from gradverify.core.sampling import N1, TIES, Sample, dims, values
from gradverify.core.spec import RANDOM_UPSTREAM, OpSpec
from gradverify.specs.conv_kinks import max_pool_kinks
from gradverify.specs.dls.common import course_op

ref_conv = references("gradverify.reference.mytorch.conv")
ref_pool = references("gradverify.reference.mytorch.pool")
ref_rs = references("gradverify.reference.mytorch.resampling")

K1 = "K=1"
"""A kernel of one: a convolution that mixes channels only."""


def image_sample(
    rng: np.random.Generator, case: str, spatial: int, conv_out: bool = True, factor: bool = False, padded: bool = False
) -> Sample:
    """A (N, C_in, *spatial) with W (C_out, C_in, K[, K]) and b (C_out,) when ``conv_out``,
    and settings kernel_size / stride / factor (and padding 1-3 when ``padded``; the input may
    then be narrower than the kernel, as long as the padded one is not)."""
    d = dims(rng, case, N=(1, 3), C=(1, 3), F=(1, 3))
    k = 1 if case == K1 else int(rng.integers(1, 4))
    stride = int(rng.integers(1, 4))
    pad = int(rng.integers(1, 4)) if padded else 0
    size = tuple(int(rng.integers(max(k - 2 * pad, 1), k + 5)) for _ in range(spatial))
    arrays = {"A": values(rng, (d["N"], d["C"], *size), case)}
    if conv_out:
        arrays["W"] = values(rng, (d["F"], d["C"], *(k,) * spatial), case)
        arrays["b"] = values(rng, (d["F"],), case)
    static = {"kernel_size": k, "stride": stride, "factor": stride if factor else 1}
    return Sample(arrays, {**static, "padding": pad} if padded else static)


def _conv(cls: type, inner: str | None, init: Callable[[Sample], dict], kwargs: tuple[str, ...] = ()) -> LayerObject:
    prefix = f"{inner}." if inner else ""
    return LayerObject(
        cls,
        init,
        ("A",),
        {"W": prefix + "W", "b": prefix + "b"},
        ("A",),
        {"W": prefix + "dLdW", "b": prefix + "dLdb"},
        output="Z",
        kwargs=kwargs,
    )


def _channels(s: Sample) -> dict:
    W = s["W"]
    return {"in_channels": W.shape[1], "out_channels": W.shape[0], "kernel_size": W.shape[2]}


def _strided(s: Sample) -> dict:
    return {**_channels(s), "stride": s["stride"]}


def _padded(s: Sample) -> dict:
    return {**_strided(s), "padding": s["padding"]}


def _transposed(s: Sample) -> dict:
    return {**_channels(s), "upsampling_factor": s["stride"]}


def _plain(cls: type, init: Callable[[Sample], dict]) -> LayerObject:
    return LayerObject(cls, init, ("A",), returns=("A",), output="Z")


def _pool_kinks(stride_of: Callable[[Sample], int]) -> Callable[[Sample, float], dict[str, np.ndarray]]:
    def kinks(s: Sample, band: float) -> dict[str, np.ndarray]:
        k = s["kernel_size"]
        param = {"pool_height": k, "pool_width": k, "stride": stride_of(s)}
        return {"A": max_pool_kinks(s["A"], param, band)}

    return kinks


def _op(
    name: str,
    family: str,
    adapter: LayerObject,
    reference,
    sample,
    wrt: tuple[str, ...],
    doc: str,
    variant: str = "S24",
    **kw,
) -> OpSpec:
    return course_op(
        f"mytorch.{name}",
        family,
        {variant: adapter},
        reference,
        sample,
        {"Z": RANDOM_UPSTREAM},
        wrt,
        description=doc,
        **kw,
    )


CONV_WRT = ("A", "W", "b")
RESAMPLE = "mytorch.resampling"
CONV = "mytorch.conv"
POOL = "mytorch.pool"

SPECS = (
    _op("upsample1d", RESAMPLE, _plain(rs.Upsample1d, lambda s: {"upsampling_factor": s["factor"]}),
        lambda t: ref_rs.upsample1d(t["A"], t["factor"]),
        lambda rng, case: image_sample(rng, case, 1, conv_out=False, factor=True), ("A",),
        "Upsample1d(k): k - 1 zeros between neighbours", edge_cases=(N1,)),
    _op("downsample1d", RESAMPLE, _plain(rs.Downsample1d, lambda s: {"downsampling_factor": s["factor"]}),
        lambda t: ref_rs.downsample1d(t["A"], t["factor"]),
        lambda rng, case: image_sample(rng, case, 1, conv_out=False, factor=True), ("A",),
        "Downsample1d(k): every k-th sample; backward restores the input width", edge_cases=(N1,)),
    _op("upsample2d", RESAMPLE, _plain(rs.Upsample2d, lambda s: {"upsampling_factor": s["factor"]}),
        lambda t: ref_rs.upsample2d(t["A"], t["factor"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False, factor=True), ("A",),
        "Upsample2d(k) on both spatial axes", edge_cases=(N1,)),
    _op("downsample2d", RESAMPLE, _plain(rs.Downsample2d, lambda s: {"downsampling_factor": s["factor"]}),
        lambda t: ref_rs.downsample2d(t["A"], t["factor"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False, factor=True), ("A",),
        "Downsample2d(k) on both spatial axes", edge_cases=(N1,)),
    _op("conv1d_stride1", CONV, _conv(conv.Conv1d_stride1, None, _channels),
        lambda t: ref_conv.conv1d(t["A"], t["W"], t["b"]), lambda rng, case: image_sample(rng, case, 1), CONV_WRT,
        "Conv1d_stride1: A (N, C_in, W), W (C_out, C_in, K), b (C_out,)", edge_cases=(N1, K1)),
    _op("conv1d", CONV, _conv(conv.Conv1d, "conv1d_stride1", _strided),
        lambda t: ref_conv.conv1d(t["A"], t["W"], t["b"], stride=t["stride"]),
        lambda rng, case: image_sample(rng, case, 1), CONV_WRT,
        "Conv1d(stride): Conv1d_stride1 then Downsample1d", edge_cases=(N1, K1)),
    _op("conv2d_stride1", CONV, _conv(conv.Conv2d_stride1, None, _channels),
        lambda t: ref_conv.conv2d(t["A"], t["W"], t["b"]), lambda rng, case: image_sample(rng, case, 2), CONV_WRT,
        "Conv2d_stride1: A (N, C_in, H, W), W (C_out, C_in, K, K), b (C_out,)", edge_cases=(N1, K1)),
    _op("conv2d", CONV, _conv(conv.Conv2d, "conv2d_stride1", _strided),
        lambda t: ref_conv.conv2d(t["A"], t["W"], t["b"], stride=t["stride"]),
        lambda rng, case: image_sample(rng, case, 2), CONV_WRT,
        "Conv2d(stride): Conv2d_stride1 then Downsample2d", edge_cases=(N1, K1)),
    _op("conv1d_padded", CONV, _conv(conv.Conv1d, "conv1d_stride1", _padded, ("padding",)),
        lambda t: ref_conv.conv1d(t["A"], t["W"], t["b"], stride=t["stride"], padding=t["padding"]),
        lambda rng, case: image_sample(rng, case, 1, padded=True), CONV_WRT,
        "Conv1d(stride, padding): pad, Conv1d_stride1, Downsample1d; dLdA unpadded", edge_cases=(N1, K1),
        variant="padding"),
    _op("conv2d_padded", CONV, _conv(conv.Conv2d, "conv2d_stride1", _padded, ("padding",)),
        lambda t: ref_conv.conv2d(t["A"], t["W"], t["b"], stride=t["stride"], padding=t["padding"]),
        lambda rng, case: image_sample(rng, case, 2, padded=True), CONV_WRT,
        "Conv2d(stride, padding): pad, Conv2d_stride1, Downsample2d; dLdA unpadded", edge_cases=(N1, K1),
        variant="padding"),
    _op("conv_transpose1d", CONV, _conv(conv.ConvTranspose1d, "conv1d_stride1", _transposed),
        lambda t: ref_conv.conv_transpose1d(t["A"], t["W"], t["b"], t["stride"]),
        lambda rng, case: image_sample(rng, case, 1), CONV_WRT,
        "ConvTranspose1d(k): Upsample1d then Conv1d_stride1 (the handout's, not torch's)", edge_cases=(N1, K1)),
    _op("conv_transpose2d", CONV, _conv(conv.ConvTranspose2d, "conv2d_stride1", _transposed),
        lambda t: ref_conv.conv_transpose2d(t["A"], t["W"], t["b"], t["stride"]),
        lambda rng, case: image_sample(rng, case, 2), CONV_WRT,
        "ConvTranspose2d(k): Upsample2d then Conv2d_stride1", edge_cases=(N1, K1)),
    _op("flatten", CONV, _plain(conv.Flatten, lambda s: {}), lambda t: ref_conv.flatten(t["A"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False), ("A",), "Flatten: (N, ...) -> (N, prod(...))",
        edge_cases=(N1,)),
    _op("maxpool2d_stride1", POOL, _plain(pool.MaxPool2d_stride1, lambda s: {"kernel": s["kernel_size"]}),
        lambda t: ref_pool.maxpool2d(t["A"], t["kernel_size"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False), ("A",), "MaxPool2d_stride1(kernel)",
        edge_cases=(N1, TIES), kinks=_pool_kinks(lambda s: 1)),
    _op("meanpool2d_stride1", POOL, _plain(pool.MeanPool2d_stride1, lambda s: {"kernel": s["kernel_size"]}),
        lambda t: ref_pool.meanpool2d(t["A"], t["kernel_size"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False), ("A",), "MeanPool2d_stride1(kernel)",
        edge_cases=(N1,)),
    _op("maxpool2d", POOL, _plain(pool.MaxPool2d, lambda s: {"kernel": s["kernel_size"], "stride": s["stride"]}),
        lambda t: ref_pool.maxpool2d(t["A"], t["kernel_size"], t["stride"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False), ("A",),
        "MaxPool2d(kernel, stride): MaxPool2d_stride1 then Downsample2d", edge_cases=(N1, TIES),
        kinks=_pool_kinks(lambda s: s["stride"])),
    _op("meanpool2d", POOL, _plain(pool.MeanPool2d, lambda s: {"kernel": s["kernel_size"], "stride": s["stride"]}),
        lambda t: ref_pool.meanpool2d(t["A"], t["kernel_size"], t["stride"]),
        lambda rng, case: image_sample(rng, case, 2, conv_out=False), ("A",),
        "MeanPool2d(kernel, stride): MeanPool2d_stride1 then Downsample2d", edge_cases=(N1,)),
)  # fmt: skip

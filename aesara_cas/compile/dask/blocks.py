"""Call time of ``mode="dask"``: the steps of a partitioned graph become dask layers.

Values met while building the dask graph are of four sorts:

- NumPy arrays known now (constants, shapes, what is computed from them);
- ``dask.array.Array``;
- :class:`Flex`: a NumPy argument (or a broadcast ``alloc``), chunked only when a
  step combines it with chunked values, like theirs;
- :class:`Packed`: value ``k`` of a region that stores several values (each of its
  blocks is a tuple); kernels read it as it is, anything else unpacks it.

Chunks of different arguments met by one region must agree (a ``ValueError`` names
them otherwise); values the graph transposes or reshapes are rechunked to match,
since the op itself requires it.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import math
import operator
import string
import threading
from typing import Any

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from aesara_cas.compile.dask.regions import Kernel, Region, Step
from aesara_cas.graph.basic import Constant, Variable
from aesara_cas.tensor.blas import Gemm
from aesara_cas.tensor.grad_ops import BroadcastLike, SumToLike
from aesara_cas.tensor.shape import Alloc, DimShuffle, Join, Reshape, Shape
from aesara_cas.tensor.subtensor import Subtensor, build_index

LETTERS = string.ascii_letters
#: Partial results combined per task of a tree reduction (over all reduced axes).
SPLIT_EVERY = 16


class Flex:
    """A NumPy value not chunked yet; ``base`` (if any) is a small array that
    ``value`` is a broadcast view of."""

    def __init__(self, value: np.ndarray, base: np.ndarray | None = None):
        self.value = value
        self.base = base

    @property
    def shape(self) -> tuple:
        return self.value.shape

    def chunked(self, chunks: tuple) -> da.Array:
        if self.base is not None:
            small = da.from_array(self.base, chunks=self.base.shape or ())
            return da.broadcast_to(small, self.value.shape, chunks=chunks)
        return da.from_array(self.value, chunks=chunks or ())


class Packed:
    """Value ``k`` of ``array``, whose blocks are tuples of a region's values."""

    def __init__(self, array: da.Array, k: int, dtype: str):
        self.array, self.k, self.dtype = array, k, dtype

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def chunks(self) -> tuple:
        return self.array.chunks


_serial = threading.local()


def _one_openmp_thread() -> None:
    """Kernels called from a dask worker thread run on one thread: dask already runs
    a task per core, and OpenMP teams on top of that oversubscribe the cores (their
    threads spin while waiting).  OpenMP's thread count is a per-thread setting; the
    main thread (the synchronous scheduler) keeps its own for the caller's other work."""
    if getattr(_serial, "done", False) or threading.current_thread() is threading.main_thread():
        return
    _serial.done = True
    with contextlib.suppress(OSError, AttributeError):  # no GNU OpenMP: nothing to limit
        ctypes.CDLL("libgomp.so.1").omp_set_num_threads(1)


class BlockTask:
    """The function of a block-wise layer: picks packed values, calls the kernel."""

    def __init__(self, kernel: Kernel, picks: list[int | None]):
        self.kernel, self.picks = kernel, picks

    def __call__(self, *blocks: Any) -> Any:
        _one_openmp_thread()
        return self.kernel(*[b if k is None else b[k] for b, k in zip(blocks, self.picks)])


def is_lazy(v: Any) -> bool:
    return isinstance(v, (da.Array, Flex, Packed))


def as_array(v: Any, chunks: tuple | None = None) -> da.Array:
    """``v`` as a dask array (a Flex gets ``chunks``, else one chunk)."""
    if isinstance(v, da.Array):
        return v
    if isinstance(v, Packed):
        meta = np.empty((0,) * v.array.ndim, dtype=v.dtype)
        return v.array.map_blocks(operator.getitem, v.k, dtype=v.dtype, meta=meta,
                                  name="ac-unpack-" + tokenize(v.array.name, v.k))
    if not isinstance(v, Flex):
        v = Flex(np.asarray(v))
    return v.chunked(chunks if chunks is not None else v.shape)


def _finite_logsumexp(x: np.ndarray, axis: tuple) -> np.ndarray:
    """logsumexp of partial logsumexps: shifted by the largest finite one (exact
    for -inf, +inf and nan as NumPy's own reduction gives them)."""
    m = np.max(x, axis=axis, keepdims=True)
    finite = np.isfinite(m)
    shift = np.where(finite, m, 0)
    with np.errstate(all="ignore"):
        out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return np.where(finite, out, m)


_COMBINE = {"sum": np.sum, "mean": np.sum, "prod": np.prod, "max": np.max, "min": np.min,
            "all": np.all, "any": np.any, "logsumexp": _finite_logsumexp}


class Combine:
    """A task of a tree reduction: reduce partial results (length 1 along ``axes``)
    from several chunks; the last level also finishes (mean, keepdims, dtype)."""

    def __init__(self, kind: str, axes: tuple, final: bool, count: int, keepdims: bool,
                 dtype: str):
        self.kind, self.axes, self.final = kind, axes, final
        self.count, self.keepdims, self.dtype = count, keepdims, dtype

    def __call__(self, blocks: list) -> np.ndarray:
        # Blocks all have length 1 along the reduced axes: stacking them along one
        # of those axes is enough, whatever their place in the grid.
        x = np.concatenate(blocks, axis=self.axes[0]) if len(blocks) > 1 else blocks[0]
        if self.kind == "logsumexp":
            r = _finite_logsumexp(x, self.axes)
        else:
            r = np.asarray(_COMBINE[self.kind](x, axis=self.axes, keepdims=True))
        if not self.final:
            return r
        if self.kind == "mean":
            with np.errstate(all="ignore"):
                r = r / self.count if self.count else r * np.nan
        if not self.keepdims:
            r = r.reshape([n for i, n in enumerate(r.shape) if i not in self.axes])
        return np.asarray(r, dtype=self.dtype)


def tree_reduce(partial: da.Array, region: Region, count: int, dtype: str) -> da.Array:
    """Combine ``partial`` (one block of length 1 per chunk along the reduced axes) by
    levels of up to ``SPLIT_EVERY`` blocks until one is left along those axes."""
    axes = region.axes
    split = max(int(SPLIT_EVERY ** (1 / len(axes))), 2)
    x = partial
    while True:
        nb = x.numblocks
        final = all(nb[a] <= split for a in axes)
        new_nb = [-(-n // split) if a in axes else n for a, n in enumerate(nb)]
        step = Combine(region.reduce_kind, axes, final, count, region.keepdims, dtype)
        name = "ac-combine-" + tokenize(x.name, split, final, region.kernel.token)
        dsk = {}
        for idx in itertools.product(*map(range, new_nb)):
            ranges = [range(i * split, min((i + 1) * split, nb[a])) if a in axes else (i,)
                      for a, i in enumerate(idx)]
            keys = [(x.name, *src) for src in itertools.product(*ranges)]
            out = tuple(i for a, i in enumerate(idx) if a not in axes or region.keepdims) \
                if final else idx
            dsk[(name, *out)] = (step, keys)
        if final:
            chunks = tuple(((1,) if a in axes else c) for a, c in enumerate(x.chunks)
                           if a not in axes or region.keepdims)
        else:
            chunks = tuple((1,) * new_nb[a] if a in axes else c for a, c in enumerate(x.chunks))
        graph = HighLevelGraph.from_collections(name, dsk, dependencies=[x])
        meta = np.empty((0,) * len(chunks), dtype=dtype if final else x.dtype)
        x = da.Array(graph, name, chunks, meta=meta)
        if final:
            return x


class Builder:
    """Builds the dask graph of one call: ``values`` maps variables to values."""

    def __init__(self, values: dict, labels: dict):
        self.values = values
        self.labels = labels

    def get(self, var: Variable) -> Any:
        if isinstance(var, Constant):
            return var.data
        return self.values[var]

    def describe(self, var: Variable) -> str:
        if var in self.labels:
            return self.labels[var]
        if var.owner is not None:
            return f"the result of {var.owner.op}"
        return repr(var)

    # -- chunk agreement -------------------------------------------------------
    def unify(self, operands: list[list]) -> dict[str, tuple]:
        """Chunks of every index letter; converts Flex operands and rechunks derived
        ones in place.  ``operands``: ``[var, value, letters]`` (lazy values)."""
        sizes: dict[str, list] = {}
        for var, value, ind in operands:
            for letter, n in zip(ind, value.shape):
                sizes.setdefault(letter, []).append((n, var))
        target: dict[str, tuple] = {}
        for letter, seen in sizes.items():
            long = {n for n, _ in seen if n != 1}
            if len(long) > 1:
                parts = ", ".join(f"{self.describe(v)} has length {n}" for n, v in seen)
                raise ValueError(f"mode='dask': shapes do not broadcast: {parts}")
            size = long.pop() if long else 1
            rigid = [(v, value.chunks[ind.index(letter)]) for v, value, ind in operands
                     if letter in ind and not isinstance(value, Flex)
                     and value.shape[ind.index(letter)] == size]
            direct = [(v, c) for v, c in rigid if v in self.labels]
            clash = next(((a, b) for a, b in itertools.combinations(direct, 2)
                          if a[1] != b[1] and a[0] is not b[0]), None)
            if clash is not None:  # (one argument read along two axes is rechunked)
                (v1, c1), (v2, c2) = clash
                raise ValueError(
                    f"mode='dask': {self.describe(v2)} has chunks {c2} where "
                    f"{self.describe(v1)} has {c1} (along a dimension of length {size}); "
                    "rechunk one of them to match, e.g. y.rechunk(x.chunks)")
            if direct:
                target[letter] = direct[0][1]
            elif rigid:
                target[letter] = rigid[0][1]
            else:
                target[letter] = (size,)
        for op in operands:
            var, value, ind = op
            want = tuple(target[le] if n != 1 else (1,) for le, n in zip(ind, value.shape))
            if isinstance(value, Flex):
                op[1] = value.chunked(want)
            elif value.chunks != want:
                op[1] = as_array(value).rechunk(want)
        return target

    # -- steps -----------------------------------------------------------------
    def run(self, step: Step) -> None:
        if step.kind == "region":
            self.region(step.region)
        elif step.kind == "contract":
            self.contract(step)
        elif step.kind == "eager":
            node = step.node
            ins = [self.get(i) for i in node.inputs]
            if isinstance(node.op, Shape):
                outs = [np.asarray(ins[0].shape if is_lazy(ins[0]) else np.shape(ins[0]),
                                   dtype="int64")]
            else:
                outs = node.op.perform(node, ins)
            self.values.update(zip(node.outputs, outs))
        else:
            node = step.node
            ins = [self.get(i) for i in node.inputs]
            out = array_op(node, ins)
            self.values[node.outputs[0]] = out

    def _layer_args(self, region_leaves: list[Variable], nd: int,
                    letters: str) -> tuple[list, list]:
        operands, inline = [], []
        for leaf in region_leaves:
            value = self.get(leaf)
            if not is_lazy(value) and all(n == 1 for n in np.shape(value)):
                inline.append((leaf, value))
                continue
            if not is_lazy(value):
                value = Flex(np.asarray(value))
            operands.append([leaf, value, letters[nd - leaf.ndim:nd]])
        return operands, inline

    def region(self, region: Region) -> None:
        nd = region.nd
        letters = LETTERS[:nd]
        operands, inline = self._layer_args(region.leaves, nd, letters)
        _inline_fills(operands, inline)
        chunks = self.unify(operands)
        by_leaf = {id(op[0]): op for op in operands}
        inline_of = dict((id(v), val) for v, val in inline)
        args, picks, names = [], [], []
        for leaf in region.leaves:
            if id(leaf) in inline_of:
                val = inline_of[id(leaf)]
                args += [val, None]
                picks.append(None)
                names.append(val)
                continue
            _, value, ind = by_leaf[id(leaf)]
            arr, k = (value.array, value.k) if isinstance(value, Packed) else (value, None)
            args += [arr, ind]
            picks.append(k)
            names.append((arr.name, k))
        out_chunks = {le: chunks.get(le, (1,)) for le in letters}
        if region.kind == "reduce":
            for a in region.axes:
                out_chunks[letters[a]] = (1,) * len(out_chunks[letters[a]])
        outs = region.outputs
        single = len(outs) == 1
        dtype = outs[0].dtype if single else object
        if region.kind == "reduce":
            part_dtype = region.kernel.fn.outputs[0].dtype
            dtype = part_dtype
        name = f"ac-{region.kind}-" + tokenize(region.kernel.token, names)
        arr = da.blockwise(
            BlockTask(region.kernel, picks), letters, *args, dtype=dtype, name=name,
            meta=np.empty((0,) * nd, dtype=dtype), adjust_chunks=out_chunks,
            align_arrays=False, concatenate=True)
        if region.kind == "reduce":
            count = math.prod(sum(chunks.get(letters[a], (1,))) for a in region.axes)
            self.values[outs[0]] = tree_reduce(arr, region, count, outs[0].dtype)
        elif single:
            self.values[outs[0]] = arr
        else:
            for k, var in enumerate(outs):
                self.values[var] = Packed(arr, k, var.dtype)

    def contract(self, step: Step) -> None:
        """dot / matmul / gemm as one block-wise layer: each output block takes its
        row and column panels whole (dask concatenates the blocks along the sum)."""
        node = step.node
        if isinstance(node.op, Gemm):
            c, _, a, b, _ = node.inputs
            layouts = ["ik"[2 - c.ndim:], "", "ij", "jk", ""]
        else:
            a, b = node.inputs
            layouts = ["ij" if a.ndim == 2 else "j", "jk" if b.ndim == 2 else "j"]
        out_ind = ("i" if a.ndim == 2 else "") + ("k" if b.ndim == 2 else "")
        operands, args = [], []
        for k in step.extra["positions"]:
            var, value = node.inputs[k], self.get(node.inputs[k])
            if not is_lazy(value) and var.ndim == 0:
                args.append((value, None))
                continue
            if isinstance(value, Packed):
                value = as_array(value)
            elif not is_lazy(value):
                value = Flex(np.asarray(value))
            op = [var, value, layouts[k]]
            operands.append(op)
            args.append(op)
        chunks = self.unify(operands)
        flat, names = [], []
        for item in args:
            value, ind = (item[1], item[2]) if isinstance(item, list) else item
            flat += [value, ind]
            names.append(value.name if ind is not None else value)
        dtype = node.outputs[0].dtype
        name = "ac-dot-" + tokenize(step.kernel.token, names)
        out = da.blockwise(
            BlockTask(step.kernel, [None] * len(args)), out_ind, *flat, dtype=dtype,
            name=name, meta=np.empty((0,) * len(out_ind), dtype=dtype),
            adjust_chunks={le: chunks[le] for le in out_ind}, align_arrays=False,
            concatenate=True)
        self.values[node.outputs[0]] = out


def _inline_fills(operands: list[list], inline: list) -> None:
    """A constant broadcast to a shape (``ones_like``, a gradient's seed) is passed to
    the kernel as one number when other operands give the loop its lengths anyway:
    no chunks of it are made."""
    for op in list(operands):
        leaf, value, ind = op
        if not (isinstance(value, Flex) and value.base is not None and value.base.size == 1):
            continue
        others = [(o[2], o[1].shape) for o in operands if o is not op]
        if all(n == 1 or any(le in i and sh[i.index(le)] == n for i, sh in others)
               for le, n in zip(ind, value.shape)):
            operands.remove(op)
            inline.append((leaf, value.base.reshape((1,) * leaf.ndim)))


def _sum_axes(g_shape: tuple, shape: tuple) -> tuple:
    lead = len(g_shape) - len(shape)
    axes = list(range(lead))
    for k, n in enumerate(shape):
        m = g_shape[lead + k]
        if n == 1 and m != 1:
            axes.append(lead + k)
        elif n != m and m != 1:  # a length-1 dimension of g is broadcast
            raise ValueError(f"sum_to_like: cannot sum an array of shape {g_shape} to {shape}")
    return tuple(axes)


def array_op(node: Any, ins: list) -> Any:
    """A shape op on dask values, by ``dask.array`` (on NumPy arguments, by NumPy)."""
    op = node.op
    dtype = node.outputs[0].dtype
    if isinstance(op, Alloc):
        value, *dims = ins
        shape = tuple(int(d) for d in dims)
        if not is_lazy(value):
            small = np.asarray(value, dtype=dtype)
            return Flex(np.broadcast_to(small, shape), base=small)
        return da.broadcast_to(as_array(value), shape).astype(dtype)
    if isinstance(op, BroadcastLike) and not is_lazy(ins[0]):  # e.g. a gradient's seed
        small = np.asarray(ins[0], dtype=dtype)
        ref_shape = tuple(ins[1].shape) if is_lazy(ins[1]) else np.shape(ins[1])
        return Flex(np.broadcast_to(small, ref_shape), base=small)
    if all(isinstance(v, Flex) or not is_lazy(v) for v in ins):
        vals = [v.value if isinstance(v, Flex) else v for v in ins]
        return Flex(np.asarray(op.perform(node, vals)[0]))
    if any(is_lazy(v) for v in ins[1:]) and not isinstance(op, (Join, SumToLike, BroadcastLike)):
        raise NotImplementedError(f"mode='dask': {op} with an index or shape read from "
                                  "argument data")
    x = ins[0]
    if isinstance(op, DimShuffle):
        x = as_array(x)
        if op.drop:
            x = x.squeeze(axis=op.drop)
        kept = [d for d in op.new_order if d != "x"]
        perm = [d - sum(1 for q in op.drop if q < d) for d in kept]
        if perm != sorted(perm):
            x = x.transpose(perm)
        if "x" in op.new_order:
            x = x[tuple(None if d == "x" else slice(None) for d in op.new_order)]
        return x
    if isinstance(op, Reshape):
        shape = tuple(int(s) for s in ins[1])
        try:
            return as_array(x).reshape(shape)
        except NotImplementedError:  # dask splits dimensions only evenly: go through 1-D
            return as_array(x).reshape((-1,)).reshape(shape)
    if isinstance(op, Subtensor):
        return as_array(x)[build_index(op.idx_list, ins[1:])]
    if isinstance(op, Join):
        parts = [as_array(v) for v in ins]
        return da.concatenate(parts, axis=op.axis).astype(dtype)
    ref_shape = tuple(ins[1].shape) if is_lazy(ins[1]) else np.shape(ins[1])
    if isinstance(op, SumToLike):
        axes = _sum_axes(tuple(x.shape), ref_shape)
        if not axes and tuple(x.shape) == ref_shape:
            return x
        out = as_array(x).sum(axis=axes, keepdims=True) if axes else as_array(x)
        out = out.reshape(out.shape[len(out.shape) - len(ref_shape):]).astype(dtype)
        return out if tuple(out.shape) == ref_shape else da.broadcast_to(out, ref_shape)
    if isinstance(op, BroadcastLike):
        if tuple(x.shape) == ref_shape:
            return x
        chunks = ins[1].chunks if isinstance(ins[1], (da.Array, Packed)) else ref_shape
        return da.broadcast_to(as_array(x), ref_shape, chunks=chunks)
    raise NotImplementedError(f"mode='dask': no dask form for {op}")  # pragma: no cover


__all__ = ["Builder", "Flex", "Packed", "as_array"]

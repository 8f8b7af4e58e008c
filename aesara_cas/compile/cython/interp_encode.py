"""Bytecode for the kernel interpreter (:mod:`.interp`): a plan step's group becomes
instructions over registers, as ``elemwise_c`` writes the same group's C (casts to
the operand dtypes, n-ary add/mul folded pairwise, the same order), with registers
shared by liveness so a block's working set stays in L1.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from aesara_cas.compile.cython import scalar_c
from aesara_cas.compile.cython.fuse import is_scalar_class
from aesara_cas.compile.cython.interp import tables
from aesara_cas.compile.cython.lower import Step, fold_steps
from aesara_cas.tensor.scalar import Cast

_MAXSCAL = 64  # IR_MAXSCAL in interp.h
_MAXTEMPS = 96


class _Unsupported(Exception):
    """The step needs an op loop or reduction the interpreter lacks."""


class _Encoder:
    """Bytecode for a group: virtual registers, then registers packed by liveness."""

    def __init__(self, ops: dict[tuple, int]):
        self.ops = ops
        self.code: list[list[int]] = []  # [op, out, a, b, c] on virtual registers
        self.dtype: list[str] = []       # per virtual register
        self.reg: dict[Any, int] = {}

    def new(self, dtype: str) -> int:
        self.dtype.append(dtype)
        return len(self.dtype) - 1

    def emit(self, key: tuple, dtype: str, args: list[int]) -> int:
        op = self.ops.get(key)
        if op is None:
            raise _Unsupported(key)
        out = self.new(dtype)
        args = args + [out] * (3 - len(args))  # unused operands: any valid register
        self.code.append([op, out, *args])
        return out

    def cast(self, r: int, src: str, dst: str) -> int:
        return r if src == dst else self.emit(("cast", src, dst), dst, [r])

    def member(self, node: Any) -> None:
        """The instructions of one member, as ``elemwise_c._member_lines`` writes it.

        They depend only on the scalar op and the dtypes: recorded once per such
        signature (on placeholder registers), then replayed on the member's registers
        (a big graph repeats a few signatures thousands of times)."""
        sop = node.op.scalar_op
        inputs = node.inputs
        out = node.outputs[0]
        in_dtypes = tuple([v.type.dtype for v in inputs])
        key = (id(sop), out.type.dtype, in_dtypes)
        entry = _RECIPES.get(key)
        if entry is None or entry[0] is not sop or entry[1] is not self.ops:
            if len(_RECIPES) > 4096:
                _RECIPES.clear()
            entry = _RECIPES[key] = (sop, self.ops, _record(self.ops, node, in_dtypes))
        recipe = entry[2]
        if recipe is None:
            raise _Unsupported(sop.name)
        code, dtypes, result = recipe
        reg = self.reg
        regs = [reg[v] for v in inputs]
        n = len(regs)
        shift = len(self.dtype) - n  # recorded new registers are numbered from n
        self.dtype.extend(dtypes)
        append = self.code.append
        for ins in code:
            append([ins[0], *[regs[r] if r < n else r + shift for r in ins[1:]]])
        reg[out] = regs[result] if result < n else result + shift

    def _member(self, node: Any, in_dtypes: tuple, regs: list[int]) -> int:
        """Emit one member's instructions on ``regs``; returns its result register."""
        sop = node.op.scalar_op
        out_dtype = node.outputs[0].dtype
        if isinstance(sop, Cast):
            return self.cast(regs[0], in_dtypes[0], out_dtype)
        if sop.nin == -1 and len(regs) > 2:
            acc, acc_dtype = regs[0], in_dtypes[0]
            for k, (step_dtype, op_dtypes) in enumerate(fold_steps(node)):
                a = self.cast(acc, acc_dtype, op_dtypes[0])
                b = self.cast(regs[k + 1], in_dtypes[k + 1], op_dtypes[1])
                acc = self.emit(("op", sop.name, tuple(op_dtypes), step_dtype), step_dtype,
                                [a, b])
                acc_dtype = step_dtype
            return self.cast(acc, acc_dtype, out_dtype)
        op_dtypes = scalar_c.operand_dtypes(sop, list(in_dtypes), out_dtype)
        if op_dtypes is None:
            raise _Unsupported(sop.name)
        args = [self.cast(r, d, t) for r, d, t in zip(regs, in_dtypes, op_dtypes)]
        return self.emit(("op", sop.name, tuple(op_dtypes), out_dtype), out_dtype, args)

    def pack(self, leaves: list[int], outs: list[int]) -> tuple[list[int], list[int], bytes]:
        """Physical registers: leaves keep their own, temporaries share blocks by
        liveness.  Returns (physical register per virtual, temp registers, code)."""
        last: dict[int, int] = {}
        for i, ins in enumerate(self.code):
            for r in ins[2:]:
                last[r] = i
        for r in outs:
            last[r] = len(self.code)
        phys = [-1] * len(self.dtype)
        for k, r in enumerate(leaves):
            phys[r] = k
        nfixed = len(leaves)
        free: list[int] = []
        temps: list[int] = []
        for i, ins in enumerate(self.code):
            out = ins[1]
            if free:
                phys[out] = free.pop()
            else:
                phys[out] = nfixed + len(temps)
                temps.append(phys[out])
            for r in set(ins[2:]):  # operands dying here: their blocks are free again
                if last.get(r) == i and r >= len(leaves) and r != out:
                    free.append(phys[r])
            if out not in last:  # never read (cannot happen for members): reuse at once
                free.append(phys[out])
        words = [x for ins in self.code for x in (ins[0], *(phys[r] for r in ins[1:]))]
        return phys, temps, struct.pack(f"{len(words)}i", *words)


#: Recorded members by (id(scalar op), output dtype, input dtypes): (the scalar op,
#: the op table, (code, new registers' dtypes, result register) or None: unsupported).
_RECIPES: dict[tuple, tuple] = {}


def _record(ops: dict[tuple, int], node: Any, in_dtypes: tuple) -> tuple | None:
    """A member's instructions on placeholder registers ``0..n-1`` (its inputs)."""
    enc = _Encoder(ops)
    enc.dtype.extend(in_dtypes)
    try:
        result = enc._member(node, in_dtypes, list(range(len(in_dtypes))))
    except _Unsupported:
        return None
    return [tuple(ins) for ins in enc.code], enc.dtype[len(in_dtypes):], result


@dataclass
class Encoded:
    """The arguments of the interpreter's ``ew``/``red`` for one plan step."""

    kind: str                 # "ew" or "red"
    prog: bytes
    meta: bytes
    arrays: list              # variables passed as the driver's operands
    scalars: list             # variables passed as single values
    outputs: list             # variables the call returns (ew: in order; red: one)
    cost: float
    variant: int = -1


def _words(values: list[int]) -> bytes:
    return struct.pack(f"{len(values)}i", *values)


def encode(step: Step) -> Encoded | None:
    """The interpreter's call for plan step ``step`` (an ``ew`` or ``reduce`` step), or
    None when it needs something the interpreter lacks."""
    from aesara_cas.compile.cython.elemwise_c import STAGED_MEMBERS, group_cost

    t = tables()
    g = step.group
    arrays = [v for v in g.leaves if not is_scalar_class(v)]
    scalars = [v for v in g.leaves if is_scalar_class(v)]
    if len(scalars) > _MAXSCAL:
        return None
    enc = _Encoder(t.ops)
    leaves = arrays + scalars
    for v in leaves:
        enc.reg[v] = enc.new(v.dtype)
    try:
        for node in g.members:
            enc.member(node)
        if step.kind == "ew":
            outs = list(g.outputs)
            out_regs = [enc.reg[v] for v in outs]
        else:
            node = step.node
            x, acc = node.inputs[0], node.outputs[0].dtype
            direct = (node.op.kind == "logsumexp" and not g.members and len(arrays) == 1
                      and x.dtype == acc)
            variant = t.reducers.get((node.op.kind, acc, direct))
            if variant is None:
                return None
            out_regs = [enc.cast(enc.reg[x], x.dtype, acc)]
    except _Unsupported:
        return None
    leaf_regs = [enc.reg[v] for v in leaves]
    phys, temps, code = enc.pack(leaf_regs, out_regs)
    if len(temps) > _MAXTEMPS:
        return None
    nregs = len(leaves) + len(temps)
    size = {d: np.dtype(d).itemsize for d in enc.dtype}
    head = [nregs, len(enc.code), len(arrays), len(scalars), len(out_regs), len(temps),
            int(len(g.members) > STAGED_MEMBERS)]
    head += [w for v in arrays for w in (phys[enc.reg[v]], size[v.dtype])]
    head += [w for v in scalars for w in (phys[enc.reg[v]], size[v.dtype])]
    head += [w for r in out_regs for w in (phys[r], size[enc.dtype[r]])]
    head += temps
    prog = _words(head) + code
    types = [_typenum(v.dtype) for v in arrays]
    stypes = [_typenum(v.dtype) for v in scalars]
    if step.kind == "ew":
        from aesara_cas.compile.cython.elemwise_c import _deps

        deps = [b for row in _deps(g, arrays) for b in row]
        meta = [g.nd, len(arrays), len(scalars), len(outs), *types, *stypes,
                *(_typenum(v.dtype) for v in outs), *deps]
        return Encoded("ew", prog, _words(meta), arrays, scalars, outs, group_cost(g))
    op = step.node.op
    axes = set(op.reduced_axes(g.nd))
    meta = [g.nd, len(arrays), len(scalars), _typenum(acc), int(op.keepdims),
            int(op.kind in ("max", "min")), *types, *stypes,
            *(1 if d in axes else 0 for d in range(g.nd))]
    cost = group_cost(g) + (10.0 if op.kind == "logsumexp" else 1.0)
    return Encoded("red", prog, _words(meta), arrays, scalars, [step.node.outputs[0]], cost,
                   variant)


def _typenum(dtype: str) -> int:
    return np.dtype(dtype).num

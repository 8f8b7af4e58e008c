"""``einsum``: Einstein summation (``np.einsum``), with derivatives.

Subscripts are normalised when the graph is built: ``...`` becomes explicit
letters and an implicit output (no ``->``) is spelled out, so the op's one
parameter is an explicit subscript string such as ``"ij,jk->ik"``.

The gradient of operand ``i`` is itself one einsum: of the output gradient and
the other operands, into operand ``i``'s subscripts.  A letter repeated in
operand ``i`` (a diagonal, ``"ii->"``) is renamed and tied back with an identity
matrix operand; a letter found only in operand ``i`` (summed away, ``"ij->i"``) is
supplied by a vector of ones, so that every output letter has an input.
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Apply, Op, Variable
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable

__all__ = ["Einsum", "einsum", "normalize_subscripts"]

LETTERS = string.ascii_letters


def normalize_subscripts(subscripts: str, ndims: list[int]) -> str:
    """``subscripts`` for operands of ``ndims`` dimensions as an explicit letters-only
    string ``"ab,bc->ac"``; ValueError when they do not fit the operands."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {subscripts!r}")
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: {len(terms)} operand subscript(s) for {len(ndims)} operand(s)")
    for t in [*terms, out]:
        bad = set(t.replace("...", "")) - set(LETTERS)
        if bad or t.replace("...", "").count(".") or t.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts {subscripts!r}")
    free = iter(c for c in LETTERS if c not in s)
    n_ell = 0
    for t, nd in zip(terms, ndims):
        named = len(t.replace("...", ""))
        if "..." in t:
            if nd < named:
                raise ValueError(f"einsum: subscripts {t!r} need at least {named} "
                                 f"dimension(s), got {nd}")
            n_ell = max(n_ell, nd - named)
        elif named != nd:
            raise ValueError(f"einsum: subscripts {t!r} are for {named} dimension(s), the "
                             f"operand has {nd}")
    ell = "".join(next(free) for _ in range(n_ell))
    new_terms = []
    for t, nd in zip(terms, ndims):
        if "..." in t:
            k = nd - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k:])
        new_terms.append(t)
    if arrow:
        out = out.replace("...", ell)
        seen = "".join(new_terms)
        for c in out:
            if c not in seen:
                raise ValueError(f"einsum: output subscript {c!r} does not appear in the inputs")
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts {out!r} repeat a letter")
    else:
        counts = Counter("".join(t.replace("...", "") for t in terms))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return ",".join(new_terms) + "->" + out


def _letter_sizes(terms: list[str], shapes: list[tuple]) -> dict[str, int | None]:
    """Static size of every letter (None when unknown); ValueError on a mismatch."""
    sizes: dict[str, int | None] = {}
    unknown: set[str] = set()
    for t, shape in zip(terms, shapes):
        for c, n in zip(t, shape):
            if n is None:
                unknown.add(c)
                continue
            old = sizes.get(c)
            if old is None or old == 1:
                sizes[c] = n
            elif n != 1 and n != old:
                raise ValueError(f"einsum: subscript {c!r} has lengths {old} and {n}")
    for c in unknown:
        if sizes.get(c) in (None, 1):
            sizes[c] = None
    return sizes


class Einsum(Op):
    """``np.einsum`` with explicit, letters-only ``subscripts`` (see :func:`einsum`)."""

    __props__ = ("subscripts",)

    def __init__(self, subscripts: str):
        self.subscripts = subscripts
        self._freeze()

    def __str__(self) -> str:
        return f"einsum{{{self.subscripts}}}"

    def pprint_call(self, args: list[str]) -> str:
        return f"einsum({self.subscripts!r}, {', '.join(args)})"

    @property
    def terms(self) -> tuple[list[str], str]:
        ins, _, out = self.subscripts.partition("->")
        return ins.split(","), out

    def make_node(self, *operands: Any) -> Apply:
        ops = [as_tensor_variable(o) for o in operands]
        terms, out = self.terms
        if len(terms) != len(ops) or any(len(t) != o.ndim for t, o in zip(terms, ops)):
            raise ValueError(f"einsum: subscripts {self.subscripts!r} do not fit operands of "
                             f"{[o.ndim for o in ops]} dimension(s)")
        sizes = _letter_sizes(terms, [o.type.shape for o in ops])
        probes = [np.ones((1,) * o.ndim, dtype=o.dtype) for o in ops]
        dtype = np.einsum(self.subscripts, *probes).dtype
        return Apply(self, ops, [TensorType(dtype, tuple(sizes.get(c) for c in out))])

    def perform(self, node, inputs):
        try:
            out = np.einsum(self.subscripts, *inputs, optimize=len(inputs) > 1)
        except ValueError as err:
            raise ValueError(f"einsum {self.subscripts!r}: {err}") from None
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def L_op(self, node, inputs, outputs, output_grads):
        from aesara_cas.tensor.grad_ops import is_float

        (gz,) = output_grads
        if gz is None:
            return [None] * len(inputs)
        return [self._grad(inputs, gz, i) if is_float(x) else None
                for i, x in enumerate(inputs)]

    def _grad(self, inputs: list[Variable], gz: Variable, i: int) -> Variable:
        from aesara_cas.tensor.constructors import eye, ones
        from aesara_cas.tensor.extra_ops import _dim
        from aesara_cas.tensor.grad_ops import fit, sum_to_like

        terms, out = self.terms
        x, target = inputs[i], terms[i]
        free = iter(c for c in LETTERS if c not in self.subscripts)
        subs = [out] + [t for k, t in enumerate(terms) if k != i]
        operands = [gz] + [v for k, v in enumerate(inputs) if k != i]
        renamed = []
        for pos, c in enumerate(target):
            if c in target[:pos]:
                # A diagonal: rename the repeat and tie it to the first with an identity.
                first = target.index(c)
                new = next(free)
                subs.append(c + new)
                operands.append(eye(_dim(x, first), _dim(x, pos), dtype=x.dtype))
                renamed.append(new)
            else:
                renamed.append(c)
        present = set("".join(subs))
        for pos, c in enumerate(renamed):
            if c not in present:
                subs.append(c)
                operands.append(ones(_dim(x, pos), dtype=x.dtype))
                present.add(c)
        g = Einsum(",".join(subs) + "->" + "".join(renamed))(*operands)
        return fit(sum_to_like(g, x), x)

    def R_op(self, node, inputs, eval_points):
        from aesara_cas.tensor.grad_ops import fit, is_float

        terms = []
        for i, (x, t) in enumerate(zip(inputs, eval_points)):
            if t is not None and is_float(x):
                args = list(inputs)
                args[i] = t
                terms.append(self.make_node(*args).outputs[0])
        if not terms:
            return [None]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return [fit(total, node.outputs[0])]


def einsum(subscripts: str, *operands: Any) -> Variable:
    """Einstein summation over ``operands`` (``np.einsum``): ``einsum("ij,jk->ik", a, b)``
    is ``a @ b``; ``...`` and implicit outputs follow NumPy."""
    ops = [as_tensor_variable(o) for o in operands]
    if not ops:
        raise ValueError("einsum needs at least one operand")
    return Einsum(normalize_subscripts(subscripts, [o.ndim for o in ops]))(*ops)

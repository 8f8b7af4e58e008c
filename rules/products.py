"""Products as pattern pairs (in the ``canonicalize`` set): exponentials merged, signs
pulled out, scalar factors out of sums.

Each rule is one identity over a product of any length: a :func:`rest_var` among
the factors of a pattern's ``mul`` stands for "the other factors", so
``exp(a) * exp(b) * rest -> exp(a + b) * rest`` also merges the exponentials of
``exp(x) * y * exp(z)``.  A product with several of them is rewritten one pair or
one sign at a time; the engine's n-ary normalisations (flatten, order, collect)
bring every step back to the canonical form.
"""

from __future__ import annotations

from etuples import etuple
from unification import var

from aesara_cas.graph.basic import Constant
from aesara_cas.rewriting.pattern import rest_var
from aesara_cas.rewriting.rule import rule
from aesara_cas.rewriting.terms import is_float, scalar_constant
from aesara_cas.tensor import elemwise as E
from aesara_cas.tensor.reduction import Reduce

a, b, y, k, s = var("a"), var("b"), var("y"), var("k"), var("s")
axis, keepdims = var("axis"), var("keepdims")
#: The other factors of a product (one or more).
rest = rest_var("factors")


def _exps_merge(bd) -> bool:
    """Float exponentials of the product's own dtype (exp of an integer is a float of
    another width: merging it would change where the promotion happens)."""
    out = bd.term
    return is_float(out) and bd[a].dtype == out.dtype and bd[b].dtype == out.dtype


def _numeric(bd) -> bool:
    return bd.term.dtype != "bool"


def _negated_factor(bd) -> bool:
    """A numeric product, and ``-y`` not a negated constant (constant folding makes it
    one; pulled out, neg_mul_constant would put it back)."""
    return _numeric(bd) and not isinstance(bd[y], Constant)


def _negatable_constant(bd) -> bool:
    """``k`` is a scalar number constant other than -1 (``-(-1 * x)`` is ``x``: the
    rules for -1 do better)."""
    value = scalar_constant(bd[k])
    return (isinstance(bd[k], Constant) and value is not None and not isinstance(value, bool)
            and value != -1 and _numeric(bd))


def _scalar_out_of_sum(bd) -> bool:
    """``s`` is zero-dimensional, the other factors are not, and they have the
    product's dtype (so the inner product computes in the same dtype)."""
    node = bd.term.owner
    if node is None or not isinstance(node.op, Reduce):  # another form (saturation)
        return False
    r = bd[rest]
    return bd[s].ndim == 0 and r.ndim != 0 and r.dtype == node.inputs[0].dtype


def _sum(t):
    return etuple(etuple(Reduce, "sum", axis, keepdims), t)


mul_exp = rule(
    etuple(E.mul, etuple(E.exp, a), etuple(E.exp, b)),
    etuple(E.exp, etuple(E.add, a, b)), where=_exps_merge, name="mul_exp",
    doc="exp(a) * exp(b) -> exp(a + b), for all real a, b (floats).",
)
mul_exp_of_more = rule(
    etuple(E.mul, etuple(E.exp, a), etuple(E.exp, b), rest),
    etuple(E.mul, etuple(E.exp, etuple(E.add, a, b)), rest), where=_exps_merge,
    name="mul_exp_of_more",
    doc="exp(a) * exp(b) * rest -> exp(a + b) * rest, for all real a, b (floats), among "
        "any number of other factors.",
)
mul_neg = rule(
    etuple(E.mul, etuple(E.neg, y), rest), etuple(E.neg, etuple(E.mul, y, rest)),
    where=_negated_factor, name="mul_neg",
    doc="-y * rest -> -(y * rest), for all y and any other factors (negation is exact, so "
        "both sides round alike and keep the signs of zeros and infinities).",
)
neg_mul_constant = rule(
    etuple(E.neg, etuple(E.mul, k, rest)), etuple(E.mul, etuple(E.neg, k), rest),
    where=_negatable_constant, name="neg_mul_constant",
    doc="-(c * rest) -> (-c) * rest for a scalar constant c (other than -1) and any other "
        "factors; -c is folded to a constant (of c's dtype, wrapping as NumPy does).",
)
sum_scalar_mul = rule(
    _sum(etuple(E.mul, s, rest)), etuple(E.mul, s, _sum(rest)), where=_scalar_out_of_sum,
    name="sum_scalar_mul",
    doc="sum(c * x, axis) -> c * sum(x, axis) for zero-dimensional c, any axis; x is the "
        "rest of a product of any length (one scalar factor at a time).",
)

RULES = [mul_exp, mul_exp_of_more, mul_neg, neg_mul_constant, sum_scalar_mul]

"""Node rewriters: given a node, its replacement.

Every rewriter has ``keys`` (the head ops or op classes of the input patterns it
can match: the driver only offers it nodes with those heads) and
``rewrite(node)``, which returns a replacement variable of exactly the node's
output type, or ``None``.

* :class:`NodeRewriter` is their base class.
* :class:`~aesara_cas.rewriting.rule_rewriter.RuleRewriter` wraps a
  :class:`~aesara_cas.rewriting.rule.Rule`: its compiled pattern matches and binds
  directly.
* :class:`RelationRewriter` wraps any miniKanren relation ``rel(in, out)``.  It
  learns the relation's input patterns once, by running it with an unknown input;
  the compiled patterns index it and pre-check each node, so ``kanren.run`` only
  runs on nodes the patterns match.
* :class:`ConstantFolder` computes nodes whose inputs are all constants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from etuples.core import ExpressionTuple
from kanren import run
from unification.variable import isvar, var

from aesara_cas.graph.basic import Apply, Constant, Variable
from aesara_cas.rewriting.matcher import match
from aesara_cas.rewriting.pattern import WILDCARD, compile_pattern, index_key
from aesara_cas.rewriting.prefilter import needs_of
from aesara_cas.rewriting.replacement import materialize
from aesara_cas.tensor.shape import Alloc, Shape
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import TensorConstant

log = logging.getLogger("aesara_cas.rewriting")

#: Constant folding skips results larger than this many elements.
FOLD_MAX_SIZE = 1 << 16
#: How many input patterns are learned from a relation at most.
MAX_PATTERNS = 16
#: How many solutions of a relation are tried on one node.
MAX_SOLUTIONS = 4


def rule_name(relation: Any) -> str:
    return getattr(relation, "name", None) or getattr(relation, "__name__", None) or repr(relation)


class NodeRewriter:
    """Base class: ``keys`` to index by, ``rewrite(node)`` to produce a replacement."""

    name: str = "rewriter"
    keys: tuple = (WILDCARD,)
    #: Whether what it makes is an exact floating-point construction that
    #: ``canonicalize`` must not respell or regroup (see ``context.PROTECTED``).
    keep_form: bool = False
    #: Whether ``last_step`` names what the last rewrite did (a rewriter of several
    #: named steps, such as the engine's normal form); else ``name`` does.
    named_steps: bool = False
    last_step: str | None = None
    #: The names of its steps, which ``exclude=`` accepts (see ``without``).
    step_names: tuple = ()

    def rewrite(self, node: Apply) -> Variable | None:
        raise NotImplementedError

    def without(self, names: Any) -> NodeRewriter:
        """This rewriter without the steps ``names`` (it has none: itself)."""
        return self

    def needs(self, op: Any) -> tuple | None:
        """What the inputs of a node of ``op`` must have for a rewrite to be possible
        (see :mod:`aesara_cas.rewriting.prefilter`); ``None``: no condition known."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


def learn_patterns(relation: Callable) -> list | None:
    """The input patterns of ``relation``, found by running it on an unknown input.

    Returns ``None`` when they cannot be learned (the relation fails or raises on
    an unknown input, or accepts anything): the relation then meets every node.
    """
    q_in, q_out = var(), var()
    try:
        found = run(MAX_PATTERNS, q_in, relation(q_in, q_out))
    except Exception as err:  # noqa: BLE001 - any failure just means "not indexable"
        log.debug("could not learn the patterns of %s: %s", rule_name(relation), err)
        return None
    patterns = []
    for p in found:
        if isvar(p) or (not isinstance(p, ExpressionTuple) and not hasattr(p, "car")):
            return None
        patterns.append(p)
    return patterns or None


class RelationRewriter(NodeRewriter):
    """Any miniKanren relation ``rel(in_term, out_term)`` as a node rewriter."""

    def __init__(self, relation: Callable, name: str | None = None,
                 patterns: list | None = None):
        self.relation = relation
        self.name = name or rule_name(relation)
        if patterns is None:
            patterns = getattr(relation, "patterns", None)
        if patterns is None:
            patterns = learn_patterns(relation)
        compiled = [compile_pattern(p) for p in patterns] if patterns else []
        if not compiled or any(c is None for c in compiled):
            # Unknown or uncompilable input patterns: try the relation everywhere.
            self.prechecks = None
            self.keys = (WILDCARD,)
        else:
            self.prechecks = compiled
            self.keys = tuple(dict.fromkeys(index_key(c) for c in compiled))

    def needs(self, op: Any) -> tuple | None:
        return None if self.prechecks is None else needs_of(self.prechecks, op)

    def rewrite(self, node: Apply) -> Variable | None:
        if len(node.outputs) != 1:
            return None
        old = node.outputs[0]
        if self.prechecks is not None and not any(
            match(p, old) is not None for p in self.prechecks
        ):
            return None
        q = var()
        for term in run(MAX_SOLUTIONS, q, self.relation(old, q)):
            new = materialize(term, old)
            if new is not None:
                return new
        return None


class ConstantFolder(NodeRewriter):
    """Compute a node whose inputs are all constants; fold shapes known statically."""

    name = "constant_folding"
    keys = (WILDCARD,)

    def rewrite(self, node: Apply) -> Variable | None:
        # Every node meets this rewriter: the common answer (an input that is not a
        # constant, not a shape) first.
        shape_op = isinstance(node.op, Shape)
        if not shape_op:
            for i in node.inputs:
                if not isinstance(i, Constant):
                    return None
        if len(node.outputs) != 1 or isinstance(node.op, Alloc):
            return None
        out = node.outputs[0]
        if not isinstance(out.type, TensorType):
            return None
        if shape_op:
            shape = node.inputs[0].type.shape
            if any(s is None for s in shape):
                return None
            return TensorConstant(out.type, np.asarray(shape, dtype=out.dtype))
        static = out.type.shape
        if all(s is not None for s in static) and int(np.prod(static)) > FOLD_MAX_SIZE:
            return None
        try:
            with np.errstate(all="ignore"):
                (value,) = node.op.perform(node, [i.data for i in node.inputs])
        except Exception as err:  # noqa: BLE001 - leave it for run time to report
            log.debug("not folding %s: %s", node.op, err)
            return None
        value = np.asarray(value)
        if value.size > FOLD_MAX_SIZE or value.dtype.name != out.dtype:
            return None
        try:
            return TensorConstant(out.type, value)
        except (TypeError, ValueError):
            return None

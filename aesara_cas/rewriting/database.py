"""Named rule sets and how they run.

The standard database has three sets:

``canonicalize``
    :mod:`aesara_cas.rules.algebra`: one normal form per expression (flattened,
    ordered sums and products, ``x - y`` as ``x + -y``, ``x / y`` as
    ``x * y ** -1``), algebraic simplification.
``stabilize``
    :mod:`aesara_cas.rules.stability` (and :mod:`aesara_cas.rules.cancellation`
    when present): numerically stable forms of unstable expressions.
``specialize``
    :mod:`aesara_cas.rules.specialize`: cheaper ops for the backend (``sqr``,
    ``sqrt``, division, ``dot``, GEMM).

User rules (``rules=[...]``) form a set of their own named ``user``.  The user's
rules, ``canonicalize`` and ``stabilize`` run together to one fixpoint (the user's
rules first where several match a node); the sets of :data:`LAST_SETS`
(``specialize``) run afterwards (see :func:`aesara_cas.rewriting.plan`).
Each rule module declares its rules in a module-level list ``RULES``; the
database reads those lists explicitly (nothing registers itself on import).
Constant folding and merging of equal sub-graphs are built-in passes that run
in every set (exclude them by the names ``constant_folding`` and ``merge``).
:func:`as_rewriter` makes the node rewriter of each rule, relation or rewriter.
"""

from __future__ import annotations

import importlib
import random
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aesara_cas.rewriting.rewriter import NodeRewriter, RelationRewriter, rule_name
from aesara_cas.rewriting.rule import Rule
from aesara_cas.rewriting.rule_rewriter import RuleRewriter

STANDARD_SETS = ("canonicalize", "stabilize", "specialize")
USER_SET = "user"
#: Sets that run after the joint fixpoint of all the others (they lower canonical
#: forms to backend ops the other sets do not expect).
LAST_SETS = ("specialize",)
BUILTINS = ("merge", "constant_folding")
#: Rule modules contributing to each standard set; optional ones may be absent.
RULE_MODULES = {
    "canonicalize": ["aesara_cas.rules.algebra", "aesara_cas.rules.products",
                     "aesara_cas.rules.powers", "aesara_cas.rules.indexing",
                     "aesara_cas.rules.shapes", "aesara_cas.rules.scan"],
    "stabilize": ["aesara_cas.rules.stability", "?aesara_cas.rules.cancellation",
                  "aesara_cas.rules.linalg", "aesara_cas.rules.special"],
    "specialize": ["aesara_cas.rules.specialize"],
}
#: Modules whose results are exact floating-point constructions (compensated sums,
#: rationalised differences, switches by magnitude): ``canonicalize`` leaves what
#: they make as built (their grouping and spelling are the point of them).
KEEP_FORM_MODULES = ("aesara_cas.rules.cancellation",)


def _module_rules(name: str) -> list:
    optional = name.startswith("?")
    name = name.lstrip("?")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if optional and err.name == name:
            return []
        raise
    rules = getattr(module, "RULES", None)
    if rules is None:
        if optional:
            warnings.warn(f"rule module {name} defines no list RULES; it is skipped",
                          stacklevel=2)
            return []
        raise AttributeError(f"rule module {name} must define a list RULES")
    return list(rules)


class RuleDatabase:
    """Rule sets by name, in the order they run.

    Parameters
    ----------
    sets
        ``{set_name: [relation or ac.rule(...) or NodeRewriter, ...]}``, in run order.
    keep_form
        The rules whose results ``canonicalize`` leaves as built.
    lazy
        Whether its rules' compiled patterns (and normal forms) are made only when a
        node first meets them, the rules indexed meanwhile by the ops those can be
        headed by (:func:`~aesara_cas.rewriting.rule_rewriter.lazy_keys`, which the standard
        rules are tested against); user rules are always prepared at once.
    """

    def __init__(self, sets: Mapping[str, Sequence[Any]], keep_form: Iterable[Any] = (),
                 lazy: bool = False):
        self.sets: dict[str, list[Any]] = {name: list(rules) for name, rules in sets.items()}
        #: ids of the rules whose results ``canonicalize`` leaves as built.
        self.keep_form: set[int] = {id(r) for r in keep_form}
        self.lazy = lazy
        self._rewriters: dict[tuple[int, bool], tuple[Any, NodeRewriter]] = {}

    def rewriter(self, relation: Any, user: bool = False) -> NodeRewriter:
        """The node rewriter of ``relation`` (built once: learning patterns costs).

        ``user``: a user rule, matched modulo the engine's equalities.
        """
        key = (id(relation), user)
        hit = self._rewriters.get(key)
        if hit is not None and hit[0] is relation:
            return hit[1]
        rw = as_rewriter(relation, normalize=user, lazy=self.lazy and not user)
        if id(relation) in self.keep_form and not user:
            rw.keep_form = True
        if len(self._rewriters) > 10_000:
            self._rewriters.clear()
        self._rewriters[key] = (relation, rw)
        return rw

    def rule_names(self) -> dict[str, list[str]]:
        return {name: [rule_name(r) for r in rules] for name, rules in self.sets.items()}

    def shuffled(self, seed: int) -> RuleDatabase:
        """A copy with the rules inside each set in a random order (for testing)."""
        rng = random.Random(seed)
        sets = {}
        for name, rules in self.sets.items():
            rules = list(rules)
            rng.shuffle(rules)
            sets[name] = rules
        db = RuleDatabase(sets, lazy=self.lazy)
        db.keep_form = set(self.keep_form)
        db._rewriters = dict(self._rewriters)
        return db

    def select(self, include: Iterable[str] | None, exclude: Iterable[str] | None,
               user_rules: Sequence[Any] = ()) -> list[tuple[str, list[NodeRewriter]]]:
        """The phases to run: ``[(set name, rewriters)]`` after include/exclude."""
        known_sets = list(self.sets)
        if include is None:
            chosen = known_sets
        else:
            include = _names(include, "include")
            unknown = [n for n in include if n not in self.sets]
            if unknown:
                raise ValueError(
                    f"include: unknown rule set(s) {unknown}; the sets are {known_sets}"
                )
            chosen = [n for n in known_sets if n in include]
        exclude = set(_names(exclude or (), "exclude"))
        phases = [(n, [self.rewriter(r) for r in self.sets[n]]) for n in chosen
                  if n not in exclude]
        if user_rules:
            phases.append((USER_SET, [self.rewriter(r, user=True) for r in user_rules]))
        all_names = set(known_sets) | {USER_SET} | set(BUILTINS)
        for rules in self.sets.values():
            all_names.update(rule_name(r) for r in rules)
            # The steps of a rewriter of several (the engine's normal form) are names too.
            all_names.update(n for r in rules for n in getattr(r, "step_names", ()))
        all_names.update(rw.name for _, rws in phases for rw in rws)
        unknown = sorted(n for n in exclude if n not in all_names)
        if unknown:
            raise ValueError(
                f"exclude: unknown rule or set name(s) {unknown}; sets are {known_sets}, "
                f"built-in passes {list(BUILTINS)}"
            )
        return [(n, [rw.without(exclude) if exclude.intersection(rw.step_names) else rw
                     for rw in rws if rw.name not in exclude]) for n, rws in phases]


def _names(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise TypeError(f"{what} must be a list of names, got {value!r}") from None
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{what} must be a list of names (str), got {n!r}")
    return names


_STANDARD: RuleDatabase | None = None


def standard_database() -> RuleDatabase:
    """The database of the standard rule sets (built on first use)."""
    global _STANDARD
    if _STANDARD is None:
        _STANDARD = RuleDatabase(
            {name: [r for mod in RULE_MODULES[name] for r in _module_rules(mod)]
             for name in STANDARD_SETS},
            keep_form=[r for mod in KEEP_FORM_MODULES for r in _module_rules("?" + mod)],
            lazy=True,
        )
    return _STANDARD


def as_rule_list(rules: Any) -> list[Any]:
    """``rules`` (one relation or a list of them) as a list, checked."""
    if rules is None:
        return []
    if callable(rules) or isinstance(rules, NodeRewriter):
        return [rules]
    try:
        items = list(rules)
    except TypeError:
        raise TypeError(f"rules must be a list of relations, got {rules!r}") from None
    for r in items:
        if not (callable(r) or isinstance(r, NodeRewriter)):
            raise TypeError(
                f"rules: {r!r} is not a relation; a rule is a function rel(in_term, out_term) "
                "returning a kanren goal, or ac.rule(lhs, rhs)"
            )
    return items


RelationLike = Callable[[Any, Any], Any]


def as_rewriter(obj: Any, normalize: bool = False, lazy: bool = False) -> NodeRewriter:
    """A :class:`NodeRewriter` for a rule, a relation or a rewriter.

    ``normalize``: a :class:`Rule` matches modulo the engine's equalities (unless
    the rule itself says otherwise).  ``lazy``: its normal forms are computed when a
    node first meets it (see :class:`RuleRewriter`).
    """
    if isinstance(obj, NodeRewriter):
        return obj
    if isinstance(obj, Rule):
        return RuleRewriter(obj, normalize=normalize, lazy=lazy)
    if callable(obj):
        return RelationRewriter(obj)
    raise TypeError(
        f"a rule must be a miniKanren relation rel(in_term, out_term), an ac.rule(...) or a "
        f"NodeRewriter; got {obj!r}"
    )

"""``python -m aesara_cas.rules``: how many standard rules are pure patterns.

A pure pattern rule is an ``ac.rule(lhs, rhs)`` whose right-hand side is a term (a
pattern over the left side's wilds), possibly guarded by ``where=``; the others
compute their output in Python and say why in their doc (a line ``Python: ...``).
Prints the count per set and module, the share (by rule and by identity: the rules
sharing a name count once), and the Python rules with their reason.
The engine's normal form of sums and products (flatten, fold constants, drop 0 and 1,
order, collect, the canonical forms of - and /: ``aesara_cas.rewriting.normal_form``) is
listed in the sets so that it runs with them, but it is the engine's, not a rule: it is
not counted, and the output says so.
"""

from __future__ import annotations

import sys
from collections import Counter

from aesara_cas.rewriting.database import standard_database
from aesara_cas.rewriting.normal_form import NormalForm
from aesara_cas.rewriting.rewriter import rule_name
from aesara_cas.rewriting.rule import is_pattern_rule


def python_reason(r: object) -> str | None:
    """The ``Python: ...`` line of a rule's doc (``None`` if it gives no reason)."""
    doc = getattr(r, "__doc__", None) or ""
    at = doc.find("Python:")
    if at < 0:
        return None
    return " ".join(doc[at:].split("\n\n")[0].split())


def is_normalisation(r: object) -> bool:
    """Whether ``r`` is (part of) the engine's normal form of sums and products."""
    return isinstance(r, NormalForm)


def share(database=None) -> tuple[int, int]:
    """``(pure pattern rules, all rules)`` of the standard sets (or ``database``); the
    engine's normal form is not a rule."""
    db = database if database is not None else standard_database()
    rules = [r for rs in db.sets.values() for r in rs if not is_normalisation(r)]
    return sum(map(is_pattern_rule, rules)), len(rules)


def identity_share(database=None) -> tuple[int, int]:
    """``(pure identities, all identities)``: rules that share a name (one identity
    written as several patterns, e.g. one per spelling of a difference, or generated
    from a table) count once, as pure only if every one of them is a pattern."""
    db = database if database is not None else standard_database()
    pure: dict[tuple[str, str], bool] = {}
    for set_name, rules in db.sets.items():
        for r in rules:
            if not is_normalisation(r):
                key = (set_name, rule_name(r))
                pure[key] = pure.get(key, True) and is_pattern_rule(r)
    return sum(pure.values()), len(pure)


def main(argv: list[str] | None = None) -> int:
    db = standard_database()
    by_module: Counter = Counter()
    pure_by_module: Counter = Counter()
    python_rules = []
    engine: dict[str, list[str]] = {}
    for set_name, rules in db.sets.items():
        for r in rules:
            if is_normalisation(r):
                engine.setdefault(set_name, []).extend(r.step_names)
                continue
            module = getattr(type(r), "__module__", "")
            origin = getattr(r, "module", None) or _module_of(r) or module
            key = f"{set_name:13s} {origin}"
            by_module[key] += 1
            if is_pattern_rule(r):
                pure_by_module[key] += 1
            else:
                python_rules.append((rule_name(r), python_reason(r) or "(no reason given)"))
    print(f"{'set / module':48s} {'pattern':>8s} {'all':>5s}")
    for key, n in by_module.items():
        print(f"{key:48s} {pure_by_module[key]:8d} {n:5d}")
    pure, total = share(db)
    print(f"\npure pattern rules: {pure} of {total} ({100 * pure / total:.0f}%)")
    pure_ids, ids = identity_share(db)
    print(f"counted by identity (rules sharing a name count once): {pure_ids} of {ids} "
          f"({100 * pure_ids / ids:.0f}%)")
    if engine:
        steps = list(dict.fromkeys(n for names in engine.values() for n in names))
        where = ", ".join(f"{s} ({len(names)})" for s, names in engine.items())
        print(f"not counted as rules, the engine's n-ary normalisations: the normal form of "
              f"add/mul ({len(steps)} steps: {', '.join(steps)}), run in {where}")
        print(f"counting its steps as Python rules: {pure_ids} of {ids + len(steps)} "
              f"identities ({100 * pure_ids / (ids + len(steps)):.0f}%)")
    print("\nrules computed in Python:")
    for name, reason in python_rules:
        print(f"  {name}: {reason}")
    return 0


_MODULES: dict[int, str] = {}


def _module_of(r: object) -> str | None:
    """The rule module whose ``RULES`` list holds ``r``."""
    if not _MODULES:
        import importlib

        from aesara_cas.rewriting.database import RULE_MODULES

        for names in RULE_MODULES.values():
            for name in names:
                try:
                    mod = importlib.import_module(name.lstrip("?"))
                except ModuleNotFoundError:
                    continue
                for rule in getattr(mod, "RULES", ()):
                    _MODULES.setdefault(id(rule), name.lstrip("?").rsplit(".", 1)[-1])
    return _MODULES.get(id(r))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Search for the most accurate floating-point form of a formula, as Herbie does.

``ac.simplify(e, accuracy=True, domain=None)`` and ``ac.function(..., accuracy=True)``
call :func:`search`, which samples the inputs uniformly over the float bit patterns
(within ``domain``), computes exact results with the mpmath reference evaluator,
and measures candidate forms: the formula, the default rewrite, forms extracted
from an e-graph saturated with accuracy identities (:mod:`aesara_cas.rules.accuracy`),
truncated series around 0 and infinity, and regime splits
``switch(x < t, form_a, form_b)``.  The search is bounded in time; its
:class:`AccuracyReport` says what it chose, the error before and after, and
whether it stopped at the limit.
"""

from aesara_cas.accuracy.search import AccuracyReport, search

__all__ = ["AccuracyReport", "search"]

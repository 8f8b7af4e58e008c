"""Loops: ``scan`` and ``map`` build a :class:`Scan` node whose step is an inner graph."""

from aesara_cas.scan.basic import map, scan
from aesara_cas.scan.op import Scan

__all__ = ["Scan", "map", "scan"]

"""What the linear-algebra ops share: naming, error wrapping and batch shapes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from aesara_cas.graph.basic import Op

LinAlgError = np.linalg.LinAlgError


class LinalgOp(Op):
    """Base of the ``at.linalg`` ops: printed by their NumPy name, errors name the op."""

    #: The public function's name (``cholesky``, ``solve``, ...).
    name = ""

    def __str__(self) -> str:
        props = [f"{p}={getattr(self, p)!r}" for p in self.__props__]
        return f"{self.name}{{{', '.join(props)}}}" if props else self.name

    @property
    def print_name(self) -> str:
        return self.name

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Re-raise LAPACK's ``LinAlgError`` (a ``ValueError``) with the op's name first."""
        try:
            yield
        except LinAlgError as err:
            raise LinAlgError(f"{self.name}: {err}") from None


def batch_shape(*shapes: tuple, what: str) -> tuple:
    """The static broadcast of leading (batch) shapes; ``ValueError`` when they clash."""
    from aesara_cas.tensor.elemwise import broadcast_shapes

    return broadcast_shapes(list(shapes), f"the batch dimensions of {what}")


def symbolic_batch(shapes: list[tuple], statics: list[tuple]) -> tuple:
    """The symbolic broadcast of leading (batch) shapes (for ``infer_shape``)."""
    from aesara_cas.tensor.shape import broadcast_symbolic_shapes

    return tuple(broadcast_symbolic_shapes([tuple(s) for s in shapes],
                                           [tuple(s) for s in statics]))

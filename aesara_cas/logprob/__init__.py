"""Log-densities of random variables, derived from their graphs."""

from aesara_cas.logprob.basic import logprob
from aesara_cas.logprob.densities import LOGPROBS
from aesara_cas.logprob.transforms import TRANSFORMS, register_transform

__all__ = ["LOGPROBS", "TRANSFORMS", "logprob", "register_transform"]

"""posenc: exact references and fast float32 kernels for rotary position embeddings."""
from . import kernels as kernels
from ._analysis import *
from ._reference import *
from ._check import check as check, CheckReport as CheckReport

__version__: str

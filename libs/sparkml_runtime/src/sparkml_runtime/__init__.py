"""sparkml_runtime: score Spark ML pipelines saved with ``save()``, without Spark or a JVM.

>>> from sparkml_runtime import load_pipeline
>>> model = load_pipeline("path/to/saved/PipelineModel")
>>> model.transform_rows([{"text": "spark is fast"}])[0]["prediction"]
"""

from .errors import (
    InvalidInputError,
    ModelLoadError,
    RowFiltered,
    SparkMLRuntimeError,
    UnknownColumnError,
    UnsupportedStageError,
)
from .frame import Field
from .pipeline import Pipeline, load_pipeline
from .support import param_problem, supported_stages, unsupported_reason
from .vectors import SparseVector, VectorColumn

__version__ = "0.1.0"


__all__ = [
    "Field",
    "InvalidInputError",
    "ModelLoadError",
    "Pipeline",
    "RowFiltered",
    "SparkMLRuntimeError",
    "SparseVector",
    "UnknownColumnError",
    "UnsupportedStageError",
    "VectorColumn",
    "__version__",
    "load_pipeline",
    "param_problem",
    "supported_stages",
    "unsupported_reason",
]

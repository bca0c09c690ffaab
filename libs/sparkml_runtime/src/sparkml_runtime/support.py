"""Which Spark classes load, and why the others do not: the one answer to "is this servable?".

``supported_stages()`` is the registry (filled by ``@register`` in ``stages/``). The classes
left out on purpose carry their reason here, so ``load_pipeline``'s error and the trainer's
spec validation (which asks before it fits anything) say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .math.text import UntranslatableRegex, compile_java_regex
from .stages import REGISTRY

_LDA = (
    "its transform runs variational inference from a random Gamma draw made by the JVM's random "
    "generator, which a Python port cannot reproduce, so its topicDistribution would not match Spark's"
)

# Spark class name -> why sparkml_runtime does not implement it. Only deliberate refusals are
# listed; any other class missing from the registry is simply not implemented yet.
NOT_SUPPORTED: dict[str, str] = {
    "org.apache.spark.ml.clustering.LocalLDAModel": _LDA,
    "org.apache.spark.ml.clustering.DistributedLDAModel": _LDA,
    "org.apache.spark.ml.feature.SQLTransformer": (
        "its statement is arbitrary Spark SQL, and running it needs a SQL engine with Spark's semantics"
    ),
}

NOT_IMPLEMENTED = "no Spark-free implementation yet"


def supported_stages() -> list[str]:
    """The Spark class names this runtime can load, sorted."""
    return sorted(REGISTRY)


def unsupported_reason(class_name: str) -> str | None:
    """None when ``class_name`` (a fully qualified Spark class) loads; else why it does not."""
    if class_name in REGISTRY:
        return None
    return NOT_SUPPORTED.get(class_name, NOT_IMPLEMENTED)


def _regex_tokenizer_problem(params: Mapping[str, Any]) -> str | None:
    try:
        compile_java_regex(str(params.get("pattern", "\\s+")))
    except UntranslatableRegex as exc:
        return str(exc)
    return None


# Spark class name -> a check of the params alone, for classes whose load refuses some values.
_PARAM_CHECKS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "org.apache.spark.ml.feature.RegexTokenizer": _regex_tokenizer_problem,
}


def param_problem(class_name: str, params: Mapping[str, Any]) -> str | None:
    """Why a supported stage with these (Spark) params would still be refused at load, or None.

    Only what the params alone decide (a RegexTokenizer pattern with no exact translation);
    the trainer asks before fitting, with the params of the spec.
    """
    check = _PARAM_CHECKS.get(class_name)
    return check(params) if check is not None else None

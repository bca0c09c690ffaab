"""Which Spark classes load, and why the others do not: the one answer to "is this servable?".

``supported_stages()`` is the registry (filled by ``@register`` in ``stages/``). The classes
left out on purpose carry their reason here, so ``load_pipeline``'s error and the trainer's
spec validation (which asks before it fits anything) say the same thing.
"""

from __future__ import annotations

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

"""The pyspark.ml classes behind the allow-listed stage names: building pipelines, and the catalog.

Only the trainer imports this (it needs pyspark). Everything else validates specs against
``stage_catalog.json``, which ``python -m services.trainer.stage_classes`` writes from these
classes (their params, type converters and docs); a test fails when the two differ, for
instance after a pyspark upgrade.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyspark
from pyspark.ml import Pipeline, classification, clustering, feature, fpm, recommendation, regression
from pyspark.ml.base import Estimator
from pyspark.ml.param import Param, TypeConverters

from .stage_catalog import CATALOG_PATH, CONVERTERS

if TYPE_CHECKING:
    from .spec import StageSpec

# Every pyspark.ml stage a spec may name. Estimators map to the class that fits; the catalog
# records the Spark classes its fit may produce (``fitted_spark_classes``), which the spec
# checks against sparkml_runtime's registry.
# Deliberately absent: SQLTransformer (its SQL can read arbitrary files, escaping the data
# roots) and anything that is not a pyspark.ml stage.
STAGE_CLASSES: dict[str, type] = {
    # feature transformers and estimators
    "Binarizer": feature.Binarizer,
    "BucketedRandomProjectionLSH": feature.BucketedRandomProjectionLSH,
    "Bucketizer": feature.Bucketizer,
    "ChiSqSelector": feature.ChiSqSelector,
    "CountVectorizer": feature.CountVectorizer,
    "DCT": feature.DCT,
    "ElementwiseProduct": feature.ElementwiseProduct,
    "FeatureHasher": feature.FeatureHasher,
    "HashingTF": feature.HashingTF,
    "IDF": feature.IDF,
    "Imputer": feature.Imputer,
    "IndexToString": feature.IndexToString,
    "Interaction": feature.Interaction,
    "MaxAbsScaler": feature.MaxAbsScaler,
    "MinHashLSH": feature.MinHashLSH,
    "MinMaxScaler": feature.MinMaxScaler,
    "NGram": feature.NGram,
    "Normalizer": feature.Normalizer,
    "OneHotEncoder": feature.OneHotEncoder,
    "PCA": feature.PCA,
    "PolynomialExpansion": feature.PolynomialExpansion,
    "QuantileDiscretizer": feature.QuantileDiscretizer,
    "RFormula": feature.RFormula,
    "RegexTokenizer": feature.RegexTokenizer,
    "RobustScaler": feature.RobustScaler,
    "StandardScaler": feature.StandardScaler,
    "StopWordsRemover": feature.StopWordsRemover,
    "StringIndexer": feature.StringIndexer,
    "TargetEncoder": feature.TargetEncoder,
    "Tokenizer": feature.Tokenizer,
    "UnivariateFeatureSelector": feature.UnivariateFeatureSelector,
    "VarianceThresholdSelector": feature.VarianceThresholdSelector,
    "VectorAssembler": feature.VectorAssembler,
    "VectorIndexer": feature.VectorIndexer,
    "VectorSizeHint": feature.VectorSizeHint,
    "VectorSlicer": feature.VectorSlicer,
    "Word2Vec": feature.Word2Vec,
    # classification
    "DecisionTreeClassifier": classification.DecisionTreeClassifier,
    "FMClassifier": classification.FMClassifier,
    "GBTClassifier": classification.GBTClassifier,
    "LinearSVC": classification.LinearSVC,
    "LogisticRegression": classification.LogisticRegression,
    "MultilayerPerceptronClassifier": classification.MultilayerPerceptronClassifier,
    "NaiveBayes": classification.NaiveBayes,
    "RandomForestClassifier": classification.RandomForestClassifier,
    # regression
    "AFTSurvivalRegression": regression.AFTSurvivalRegression,
    "DecisionTreeRegressor": regression.DecisionTreeRegressor,
    "FMRegressor": regression.FMRegressor,
    "GBTRegressor": regression.GBTRegressor,
    "GeneralizedLinearRegression": regression.GeneralizedLinearRegression,
    "IsotonicRegression": regression.IsotonicRegression,
    "LinearRegression": regression.LinearRegression,
    "RandomForestRegressor": regression.RandomForestRegressor,
    # clustering
    "BisectingKMeans": clustering.BisectingKMeans,
    "GaussianMixture": clustering.GaussianMixture,
    "KMeans": clustering.KMeans,
    "LDA": clustering.LDA,
    # recommendation and pattern mining
    "ALS": recommendation.ALS,
    "FPGrowth": fpm.FPGrowth,
}


def build_pipeline(stages: Sequence[StageSpec]) -> Pipeline:
    """Instantiate the validated stages as a pyspark Pipeline (needs an active SparkSession).

    ``set`` runs each param's own pyspark converter again, so pyspark stays the authority on
    values (a list becomes a DenseVector here, for instance). Should it ever refuse a value the
    catalog's twin accepted, the error fails the job with a FAILED event naming it, like any
    other error while training; tests/trainer/test_stage_catalog.py keeps the twins equal.
    """
    built = []
    for spec in stages:
        stage = STAGE_CLASSES[spec.name]()
        for key, value in spec.params.items():
            stage.set(stage.getParam(key), value)
        built.append(stage)
    return Pipeline(stages=built)


def _converter_name(param: Param) -> str:
    for name in CONVERTERS:
        if param.typeConverter is getattr(TypeConverters, name):
            return name
    raise ValueError(
        f"param {param.name!r} uses a type converter the catalog does not know ({param.typeConverter!r}); "
        "add a pyspark-free twin to services/trainer/stage_catalog.py"
    )


def _spark_class_name(cls: type) -> str:
    # pyspark's own rule for the JVM twin of a class (JavaMLReader._java_loader_class).
    return f"{cls.__module__.replace('pyspark', 'org.apache.spark')}.{cls.__name__}"


def fitted_spark_classes(cls: type) -> list[str]:
    """The Spark classes a stage of ``cls`` may be saved as once fitted, sorted.

    A transformer is saved as itself. An estimator's fitted class is the return annotation of
    its ``_create_model`` (QuantileDiscretizer gives a Bucketizer), or, when that class has
    subclasses (LDA gives a LocalLDAModel or a DistributedLDAModel, by optimizer), those.
    """
    if not issubclass(cls, Estimator):
        return [_spark_class_name(cls)]
    annotation: Any = cls._create_model.__annotations__.get("return")  # type: ignore[attr-defined]
    if isinstance(annotation, str):  # postponed annotations name a class of the defining module
        annotation = getattr(sys.modules[cls._create_model.__module__], annotation, None)  # type: ignore[attr-defined]
    if not isinstance(annotation, type):
        raise ValueError(f"{cls.__name__}._create_model has no class return annotation; cannot name its fitted class")
    subclasses: list[type] = type.__subclasses__(annotation)
    subclasses = [c for c in subclasses if c.__module__.startswith("pyspark.ml")]
    leaves = subclasses or [annotation]
    return sorted(_spark_class_name(c) for c in leaves)


def describe_stages() -> dict[str, Any]:
    """The catalog of every allow-listed stage: its module, its fitted Spark classes and, per param, the converter's name and the doc."""
    stages: dict[str, Any] = {}
    for name, cls in sorted(STAGE_CLASSES.items()):
        params = {p: getattr(cls, p) for p in sorted(dir(cls)) if isinstance(getattr(cls, p, None), Param)}
        stages[name] = {
            "module": cls.__module__,
            "fitted": fitted_spark_classes(cls),
            "params": {p: {"converter": _converter_name(param), "doc": param.doc} for p, param in params.items()},
        }
    return {"pyspark": pyspark.__version__, "stages": stages}


def catalog_json() -> str:
    """``describe_stages()`` as the text committed in stage_catalog.json."""
    return json.dumps(describe_stages(), indent=1, sort_keys=True) + "\n"


def main() -> int:
    """Write stage_catalog.json from the installed pyspark; returns 0."""
    CATALOG_PATH.write_text(catalog_json(), encoding="utf-8")
    print(f"wrote {CATALOG_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

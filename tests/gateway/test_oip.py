"""Open Inference Protocol translation without a broker: tensors → rows, rows → tensors, schemas → metadata."""

from __future__ import annotations

import json

import pytest

from services.gateway.errors import InvalidInput, PayloadTooLarge
from services.gateway.oip import RequestInput, columns_to_outputs, inputs_to_rows, schema_to_tensors


def tensor(name: str, shape: list[int], datatype: str, data: list[object]) -> RequestInput:
    return RequestInput(name=name, shape=shape, datatype=datatype, data=data)


def test_row_i_of_every_tensor_becomes_row_i() -> None:
    rows = inputs_to_rows(
        [
            tensor("text", [2], "BYTES", ["a b", "c"]),
            tensor("x", [2, 1], "FP32", [[1], [2.5]]),
            tensor("n", [2], "INT64", [3, 4]),
            tensor("flag", [2], "BOOL", [True, False]),
            tensor("vec", [2, 3], "FP64", [1, 2, 3, 4, 5, 6]),
        ],
        max_rows=10,
    )
    assert rows == [
        {"text": "a b", "x": 1.0, "n": 3, "flag": True, "vec": [1.0, 2.0, 3.0]},
        {"text": "c", "x": 2.5, "n": 4, "flag": False, "vec": [4.0, 5.0, 6.0]},
    ]


@pytest.mark.parametrize(
    ("tensors", "message"),
    [
        ([tensor("x", [2], "INT64", [1, "2"])], "input 'x' (INT64): element 1 is '2'"),
        ([tensor("x", [2], "BOOL", [True, 1])], "element 1 is 1, not a BOOL value"),
        ([tensor("x", [3], "FP64", [1.0, 2.0])], "shape [3] needs 3 elements, data has 2"),
        ([tensor("x", [2], "FP16", [1.0, 2.0])], "datatype 'FP16' is not one of"),
        ([tensor("x", [1], "FP64", [1.0]), tensor("y", [2], "FP64", [1.0, 2.0])], "'y' has 2 rows but 'x' has 1"),
        ([tensor("x", [1], "FP64", [1.0]), tensor("x", [1], "FP64", [1.0])], "given more than once"),
    ],
)
def test_unusable_tensors_are_invalid_input_naming_the_tensor(tensors: list[RequestInput], message: str) -> None:
    with pytest.raises(InvalidInput, match=None) as caught:
        inputs_to_rows(tensors, max_rows=10)
    assert message in caught.value.message


def test_more_rows_than_allowed_is_payload_too_large() -> None:
    with pytest.raises(PayloadTooLarge):
        inputs_to_rows([tensor("x", [11], "FP64", [0.0] * 11)], max_rows=10)


def test_output_columns_become_typed_tensors() -> None:
    rows = [
        {"prediction": 1.0, "probability": [0.2, 0.8], "label": "spam", "n": 1, "ok": True, "sparse": {"size": 3}},
        {"prediction": 0.0, "probability": [0.9, 0.1], "label": "ham", "n": 2, "ok": False, "sparse": {"size": 3}},
    ]
    outputs = {o.name: o for o in columns_to_outputs(rows, None)}
    assert (outputs["prediction"].datatype, outputs["prediction"].shape) == ("FP64", [2])
    assert (outputs["probability"].shape, outputs["probability"].data) == ([2, 2], [0.2, 0.8, 0.9, 0.1])
    assert (outputs["label"].datatype, outputs["n"].datatype, outputs["ok"].datatype) == ("BYTES", "INT64", "BOOL")
    assert outputs["sparse"].datatype == "BYTES" and json.loads(outputs["sparse"].data[0]) == {"size": 3}


def test_requested_outputs_keep_their_order_and_unknown_ones_are_named() -> None:
    rows = [{"a": 1.0, "b": 2.0}]
    assert [o.name for o in columns_to_outputs(rows, ["b", "a"])] == ["b", "a"]
    with pytest.raises(InvalidInput) as caught:
        columns_to_outputs(rows, ["c"])
    assert "['c']" in caught.value.message


def test_spark_schemas_map_to_tensor_metadata() -> None:
    tensors = schema_to_tensors([{"name": "text", "type": "string"}, {"name": "features", "type": "vector"}])
    assert [(t.name, t.datatype, t.shape) for t in tensors] == [("text", "BYTES", [-1]), ("features", "FP64", [-1, -1])]

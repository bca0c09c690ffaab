"""Data sources: paths confined to the data roots (unit), and loading rows and files with Spark."""

from __future__ import annotations

import os

import pytest

from services.trainer.data import load_data, parse_data_spec, resolve_under_roots
from services.trainer.errors import DataError


def test_a_path_inside_a_root_resolves(tmp_path):
    (tmp_path / "d").mkdir()
    assert resolve_under_roots(str(tmp_path / "d" / "x.parquet"), [str(tmp_path)]) == os.path.realpath(
        tmp_path / "d" / "x.parquet"
    )
    # Relative paths are taken relative to the first root.
    assert resolve_under_roots("d/x.csv", [str(tmp_path)]) == os.path.realpath(tmp_path / "d" / "x.csv")


@pytest.mark.parametrize("escape", ["../outside.csv", "d/../../outside.csv", "/etc/passwd"])
def test_paths_escaping_the_roots_are_rejected(tmp_path, escape):
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    path = escape if escape.startswith("/") else str(root / escape)
    with pytest.raises(DataError, match="outside the data roots"):
        resolve_under_roots(path, [str(root)])


def test_a_symlink_out_of_the_root_is_rejected(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret"
    secret.mkdir()
    (root / "link").symlink_to(secret)
    with pytest.raises(DataError, match="outside the data roots"):
        resolve_under_roots(str(root / "link" / "data.csv"), [str(root)])


def test_a_sibling_with_the_root_as_prefix_is_not_inside(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data-evil").mkdir()
    with pytest.raises(DataError, match="outside the data roots"):
        resolve_under_roots(str(tmp_path / "data-evil" / "x"), [str(tmp_path / "data")])


def test_globs_and_missing_roots_are_refused(tmp_path):
    with pytest.raises(DataError, match="glob characters"):
        resolve_under_roots(str(tmp_path / "{a,..}"), [str(tmp_path)])
    with pytest.raises(DataError, match="no data roots are configured"):
        resolve_under_roots(str(tmp_path / "x"), [])


def test_uri_roots_confine_uri_paths():
    assert resolve_under_roots("s3a://bucket/data/x.parquet", ["s3a://bucket/data"]) == "s3a://bucket/data/x.parquet"
    with pytest.raises(DataError, match="outside the data roots"):
        resolve_under_roots("s3a://bucket/other/x", ["s3a://bucket/data"])
    with pytest.raises(DataError, match="contains '..'"):
        resolve_under_roots("s3a://bucket/data/../x", ["s3a://bucket/data"])


@pytest.mark.spark
def test_inline_rows_mix_ints_and_floats_and_parse_vectors(spark):
    spec = parse_data_spec(
        {
            "rows": [{"x": 1, "v": [1, 2]}, {"x": 2.5, "v": {"size": 3, "indices": [1], "values": [4]}}],
            "vector_columns": ["v"],
        }
    )
    frame = load_data(spark, spec, [])
    rows = frame.collect()
    assert [r.x for r in rows] == [1.0, 2.5]
    assert rows[0].v.toArray().tolist() == [1.0, 2.0] and rows[1].v.toArray().tolist() == [0.0, 4.0, 0.0]


@pytest.mark.spark
def test_files_load_from_a_root_and_not_from_outside(spark, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "train.csv").write_text("text,label\nspark,1.0\nhadoop,0.0\n")
    spec = parse_data_spec({"path": "train.csv", "format": "csv", "options": {"header": True, "inferSchema": True}})
    frame = load_data(spark, spec, [str(root)])
    assert sorted((r.text, r.label) for r in frame.collect()) == [("hadoop", 0.0), ("spark", 1.0)]
    (tmp_path / "outside.csv").write_text("text,label\nx,1\n")
    outside = parse_data_spec({"path": str(root / ".." / "outside.csv"), "format": "csv"})
    with pytest.raises(DataError, match="outside the data roots"):
        load_data(spark, outside, [str(root)])
    missing = parse_data_spec({"path": "nope.parquet", "format": "parquet"})
    with pytest.raises(DataError, match="cannot read parquet data at nope.parquet"):
        load_data(spark, missing, [str(root)])


@pytest.mark.kafka
def test_a_topic_snapshot_reads_json_rows_up_to_the_bound(kafka_settings):
    import json
    import uuid

    from services.trainer.data import read_topic_snapshot
    from spindrift.kafka.topics import TopicSpec, ensure_topics
    from tests.kafka_user import user_producer as make_producer  # a user's client writes the rows

    topic = f"trainer-data-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka_settings, [TopicSpec(topic, 2)])
    producer = make_producer(kafka_settings)
    for i in range(6):
        producer.send(
            topic, key=str(i).encode(), value=json.dumps({"text": f"doc {i}", "label": float(i % 2)}).encode()
        )
    producer.flush(30)
    rows = read_topic_snapshot(kafka_settings, topic, max_records=100)
    assert sorted(r["text"] for r in rows) == [f"doc {i}" for i in range(6)]
    assert len(read_topic_snapshot(kafka_settings, topic, max_records=4)) == 4
    producer.send(topic, value=b"not json").get(30)
    producer.close(5)
    with pytest.raises(DataError, match=r"offset \d+: the value is not a JSON object"):
        read_topic_snapshot(kafka_settings, topic, max_records=100)
    with pytest.raises(DataError, match="does not exist"):
        read_topic_snapshot(kafka_settings, f"{topic}-missing", max_records=10)

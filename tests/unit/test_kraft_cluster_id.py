"""The embedded broker's KRaft cluster id must always parse as one command-line argument."""

import base64

from spindrift.kafka.embedded import _kraft_cluster_id


def test_cluster_ids_never_start_with_a_dash_and_decode_to_sixteen_bytes() -> None:
    # One id in 64 would start with "-" if drawn naively; 2000 draws make a miss near-impossible.
    ids = [_kraft_cluster_id() for _ in range(2000)]
    assert not [cluster_id for cluster_id in ids if cluster_id.startswith("-")]
    assert all(len(base64.urlsafe_b64decode(cluster_id + "==")) == 16 for cluster_id in ids)
    assert len(set(ids)) == len(ids)

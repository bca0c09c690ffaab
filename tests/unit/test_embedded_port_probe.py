"""The embedded broker's port probe accepts a port whose last connections are still in TIME_WAIT."""

from __future__ import annotations

import socket

from spindrift.ports import port_is_free


def test_a_port_just_released_with_connections_in_time_wait_counts_as_free() -> None:
    # Like the JVM's listener, bind with SO_REUSEADDR; then the server side closes first → TIME_WAIT on its port.
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()
    server.close()
    client.close()
    plain = socket.socket()  # what the probe did before: no SO_REUSEADDR
    try:
        plain.bind(("127.0.0.1", port))
        time_wait = False
    except OSError:
        time_wait = True
    finally:
        plain.close()
    assert time_wait, "the setup must leave the port in TIME_WAIT, or this test proves nothing"
    assert port_is_free(port)


def test_a_port_someone_listens_on_is_not_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not port_is_free(server.getsockname()[1])

"""HTTP/1.1 on one connection: pipelined requests answered in order, keep-alive, and the answers
to requests that cannot be served (unparseable, too large), read off the socket as a client sees them."""
import json
import os
import socket
import time
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import REGION


def signed(coffer, target: str, body: dict, service: str) -> bytes:
    """One signed AWS JSON 1.1 request as raw HTTP/1.1 bytes."""
    key, secret = coffer.root_credentials()
    request = AWSRequest(method="POST", url=coffer.endpoint + "/", data=json.dumps(body).encode(),
                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(request)
    prepared = request.prepare()
    lines = [f"POST / HTTP/1.1", f"Host: 127.0.0.1:{coffer.port}"]
    lines += [f"{name}: {value}" for name, value in prepared.headers.items() if name.lower() not in ("host", "content-length")]
    lines.append(f"Content-Length: {len(prepared.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + prepared.body


def responses(data: bytes) -> list[tuple[int, dict, bytes]]:
    """Splits a byte stream into (status, headers, body) answers by Content-Length."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode().split("\r\n")
        headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in header_lines)}
        length = int(headers["content-length"])
        out.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return out


def exchange(coffer, payload: bytes, expect: int, timeout: float = 30) -> tuple[list, bool]:
    """Sends `payload` on one connection and reads until `expect` whole answers arrived or the server
    closed; answers, and whether the server closed the connection."""
    with socket.create_connection(("127.0.0.1", coffer.port), timeout=timeout) as s:
        s.sendall(payload)
        return read_answers(s, expect, timeout)


def read_answers(s: socket.socket, expect: int, timeout: float, settle: float = 0.3) -> tuple[list, bool]:
    """Reads from a connection until `expect` whole answers arrived (and nothing follows within `settle`
    seconds; with 0, nothing is waited for) or the server closed."""
    data, closed, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            parsed = responses(data)
            if len(parsed) >= expect:
                if settle == 0:
                    return parsed, closed
                s.settimeout(settle)
        except (ValueError, KeyError, IndexError):
            pass
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            closed = True
            break
        data += chunk
    return responses(data), closed


def test_pipelined_requests_are_answered_in_order(coffer):
    sm = coffer.client()
    sm.create_secret(Name="pipe/one", SecretString="first-value")
    # A slow call answered off the event loop (an RSA key), then reads answered on it: the reads
    # must wait for the key, not overtake it.
    payload = signed(coffer, "TrentService.CreateKey", {"KeySpec": "RSA_4096", "KeyUsage": "SIGN_VERIFY"}, "kms")
    payload += signed(coffer, "secretsmanager.GetSecretValue", {"SecretId": "pipe/one"}, "secretsmanager")
    payload += signed(coffer, "secretsmanager.DescribeSecret", {"SecretId": "pipe/one"}, "secretsmanager")
    answers, closed = exchange(coffer, payload, expect=3)
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert json.loads(answers[0][2])["KeyMetadata"]["KeySpec"] == "RSA_4096"
    assert json.loads(answers[1][2])["SecretString"] == "first-value"
    assert json.loads(answers[2][2])["Name"] == "pipe/one"
    assert not closed
    assert len({headers["x-amzn-requestid"] for _, headers, _ in answers}) == 3


def test_answers_flushed_together_reach_every_connection(coffer):
    # Answers written while an event loop runs one batch of tasks are flushed together after the last
    # of them: with many connections sending at once, each must still get every answer, in order.
    sm = coffer.client()
    for i in range(4):
        sm.create_secret(Name=f"burst/{i}", SecretString=f"value-{i}")
    count, depth = 48, 3
    connections = [socket.create_connection(("127.0.0.1", coffer.port), timeout=30) for _ in range(count)]
    try:
        for n, s in enumerate(connections):
            s.sendall(b"".join(signed(coffer, "secretsmanager.GetSecretValue", {"SecretId": f"burst/{(n + k) % 4}"}, "secretsmanager")
                               for k in range(depth)) + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        for n, s in enumerate(connections):
            answers, closed = read_answers(s, depth + 1, 30)
            assert [status for status, _, _ in answers] == [200] * (depth + 1) and not closed
            assert [json.loads(body)["SecretString"] for _, _, body in answers[:depth]] == [f"value-{(n + k) % 4}" for k in range(depth)]
    finally:
        for s in connections:
            s.close()


def connection_workers(coffer) -> float:
    """The /metrics gauge of connections whose reads a task of their own answers."""
    text = urllib.request.urlopen(f"{coffer.endpoint}/metrics", timeout=10).read().decode()
    values = [line.split()[1] for line in text.splitlines() if line.startswith("coffer_http_connection_workers ")]
    assert values, "no coffer_http_connection_workers gauge"
    return float(values[0])


def test_connections_past_the_worker_bound_are_answered_and_their_workers_end_with_them(coffer):
    # A connection's reads are answered by a task of its own, at most 32 an event loop; past the bound
    # a connection's requests get a task each. Either way, on every connection: a read, a call answered
    # off the event loop (ListSecrets), a read again, in order. Closing the connections ends their tasks.
    sm = coffer.client()
    sm.create_secret(Name="workers/one", SecretString="first")
    connections = [socket.create_connection(("127.0.0.1", coffer.port), timeout=60) for _ in range(300)]
    try:
        read = signed(coffer, "secretsmanager.GetSecretValue", {"SecretId": "workers/one"}, "secretsmanager")
        listing = signed(coffer, "secretsmanager.ListSecrets", {}, "secretsmanager")
        for s in connections:
            s.sendall(read + listing + read)
        for s in connections:
            answers, closed = read_answers(s, 3, 60, settle=0)
            assert [status for status, _, _ in answers] == [200, 200, 200] and not closed
            assert json.loads(answers[0][2])["SecretString"] == json.loads(answers[2][2])["SecretString"] == "first"
            assert [entry["Name"] for entry in json.loads(answers[1][2])["SecretList"]] == ["workers/one"]
        # A second round on the same connections is answered by the tasks the first one left waiting.
        for s in connections[:20]:
            s.sendall(read)
        for s in connections[:20]:
            answers, _ = read_answers(s, 1, 60, settle=0)
            assert [json.loads(body)["SecretString"] for _, _, body in answers] == ["first"]
        # Every connection's first read found a worker or the bound: at least one loop's 32 are in use,
        # and no loop has more than 32.
        assert 32 <= connection_workers(coffer) <= min(300, 32 * (os.cpu_count() or 1))
    finally:
        for s in connections:
            s.close()
    deadline = time.monotonic() + 15
    while connection_workers(coffer) > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert connection_workers(coffer) == 0


def test_keep_alive_and_connection_close(coffer):
    health = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    answers, closed = exchange(coffer, health * 2 + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", expect=3)
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert "connection" not in answers[0][1] and answers[2][1]["connection"] == "close"
    assert closed
    # HTTP/1.0 keeps the connection only when asked, and is told so.
    answers, closed = exchange(coffer, b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", expect=1, timeout=3)
    assert answers[0][0] == 200 and answers[0][1]["connection"] == "keep-alive" and not closed
    answers, closed = exchange(coffer, b"GET /health HTTP/1.0\r\n\r\n", expect=1)
    assert answers[0][1]["connection"] == "close" and closed


def test_unparseable_and_oversized_requests_end_the_connection(coffer):
    answers, closed = exchange(coffer, b"NOT HTTP AT ALL\r\n\r\n", expect=1)
    assert [status for status, _, _ in answers] == [400] and closed
    # Answers owed before the bad request still come, then the connection ends.
    answers, closed = exchange(coffer, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01garbage\r\n\r\n", expect=1)
    assert answers[0][0] == 200 and closed
    body = b"{" + b" " * (2 << 20) + b"}"
    answers, closed = exchange(coffer, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
                               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body, expect=1)
    assert [status for status, _, _ in answers] == [413] and closed
    # The server goes on serving other connections.
    assert coffer.client().list_secrets()["SecretList"] == []


def test_a_long_computation_does_not_hold_up_other_connections(coffer):
    # CreateKey's RSA keys take a visible time to generate; reads on every other connection (some on
    # the same event loop as the CreateKey's) must go on being answered while one is made.
    import threading
    coffer.client().create_secret(Name="busy/read", SecretString="v")
    readers = [coffer.client() for _ in range(4)]
    answered = [[] for _ in readers]
    stop = threading.Event()

    def read(index):
        while not stop.is_set():
            readers[index].get_secret_value(SecretId="busy/read")
            answered[index].append(time.monotonic())

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(readers))]
    for thread in threads:
        thread.start()
    kms = coffer.client("kms")
    windows = []
    try:
        time.sleep(0.3)
        deadline = time.monotonic() + 30
        while len(windows) < 3 and time.monotonic() < deadline:
            started = time.monotonic()
            kms.create_key(KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")
            if time.monotonic() - started > 0.3:
                windows.append((started, time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert windows, "no key took long enough to tell"
    for start, end in windows:
        for times in answered:
            # No reader waits half the key's time: a reader on a loop that made the key would wait all of it.
            inside = [start] + [t for t in times if start < t < end] + [end]
            assert max(b - a for a, b in zip(inside, inside[1:])) < (end - start) / 2, "a connection waited for the key"


def chunked(request: bytes, pieces: int = 3) -> bytes:
    """The same request with its body sent in chunks (Transfer-Encoding: chunked) instead of a Content-Length."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"content-length:")]
    size = max(1, len(body) // pieces)
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    encoded = b"".join(b"%x;note=1\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\nX-Trailer: t\r\n\r\n"
    return b"\r\n".join(lines + [b"Transfer-Encoding: chunked"]) + b"\r\n\r\n" + encoded


def test_chunked_bodies_and_requests_split_across_reads(coffer):
    coffer.client().create_secret(Name="chunked/one", SecretString="chunked-value")
    # A signed request whose body arrives chunked (the signature covers the decoded body), then one with a
    # Content-Length, on one connection.
    payload = chunked(signed(coffer, "secretsmanager.GetSecretValue", {"SecretId": "chunked/one"}, "secretsmanager"))
    payload += signed(coffer, "secretsmanager.DescribeSecret", {"SecretId": "chunked/one"}, "secretsmanager")
    answers, closed = exchange(coffer, payload, expect=2)
    assert [status for status, _, _ in answers] == [200, 200] and not closed
    assert json.loads(answers[0][2])["SecretString"] == "chunked-value"
    # The same bytes one at a time: a head and a body cut anywhere are read whole.
    with socket.create_connection(("127.0.0.1", coffer.port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = signed(coffer, "secretsmanager.GetSecretValue", {"SecretId": "chunked/one"}, "secretsmanager")
        for index in range(0, len(request), 7):
            s.sendall(request[index:index + 7])
        data = b""
        while b"chunked-value" not in data:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
        assert responses(data)[0][0] == 200


def test_requests_that_could_be_read_two_ways_are_refused(coffer):
    # Framing two readers could disagree on (request smuggling) ends the connection with 400, and nothing
    # after it on the connection is taken as a request.
    for head in [b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
                 b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                 b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n",
                 b"GET /health HTTP/1.1\r\nHost: x\r\n folded: y\r\n\r\n",
                 b"GET /health HTTP/1.1\nHost: x\n\n"]:
        answers, closed = exchange(coffer, head + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", expect=1)
        assert [status for status, _, _ in answers] == [400] and closed, head

"""Forwarding to an HTTP endpoint: never blocks or fails the run, loses nothing, sends once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from reconciler.audit.forward import Forwarder
from reconciler.audit.verify import verify_log
from reconciler.core.errors import AuditError, ConfigError

from .conftest import FAST_RETRY, Receiver, lines_of, open_trail, records_of, write_run


def _stored(receiver: Receiver) -> list[bytes]:
    return [body + b"\n" for body in receiver.bodies]


class TestEndpointDownThenUp:
    def test_records_undelivered_in_run_1_are_sent_in_run_2_and_each_arrives_once(
        self, log_path: Path, receiver: Receiver
    ) -> None:
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-1", writes=3)  # does not raise although the endpoint is down
            summary = trail.delivery_summary()
        assert summary is not None
        assert "8 record(s) undelivered" in summary and "next run" in summary
        assert receiver.bodies == []

        receiver.up()
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-2", writes=2)
            summary = trail.delivery_summary()
        assert summary == f"audit forwarding: 14 record(s) delivered to {receiver.url}"
        assert _stored(receiver) == lines_of(log_path)  # every record, once, in order, byte for byte
        ids = [r["id"] for r in receiver.records()]
        assert receiver.keys == ids and len(set(ids)) == 14

        with open_trail(log_path, forward_url=receiver.url) as trail:
            trail.run_started("run-3", {})
            trail.run_finished({}, 0)
            assert trail.delivery_summary() == f"audit forwarding: 2 record(s) delivered to {receiver.url}"
        assert _stored(receiver) == lines_of(log_path)

    def test_the_receiver_can_verify_the_chain_it_holds(
        self, log_path: Path, receiver: Receiver, tmp_path: Path
    ) -> None:
        receiver.up()
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-1")
            trail.delivery_summary()
        copy = tmp_path / "received.jsonl"
        copy.write_bytes(b"".join(_stored(receiver)))
        assert verify_log(copy).records == 6


class _CountingTransport(httpx.HTTPTransport):
    """A real transport (h11 judges each request) that counts the requests handed to it."""

    def __init__(self) -> None:
        super().__init__()
        self.handled = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.handled += 1
        return super().handle_request(request)


class TestRetries:
    def test_transient_5xx_are_retried_without_duplicates(self, log_path: Path, receiver: Receiver) -> None:
        receiver.up()
        receiver.fail_first = 2
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-1")
            summary = trail.delivery_summary()
        assert summary == f"audit forwarding: 6 record(s) delivered to {receiver.url}"
        assert _stored(receiver) == lines_of(log_path)
        assert receiver.requests == 8

    def test_a_refusing_endpoint_keeps_records_undelivered_and_in_order(
        self, log_path: Path, receiver: Receiver
    ) -> None:
        receiver.up()
        receiver.status = 400
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-1")
            summary = trail.delivery_summary()
        assert summary is not None and "6 record(s) undelivered" in summary and "HTTP 400" in summary
        receiver.status = 200
        forwarder = Forwarder(log_path, receiver.url, policy=FAST_RETRY)
        try:
            assert forwarder.count_pending() == 6
            result = forwarder.deliver_pending()
        finally:
            forwarder.close()
        assert (result.delivered, result.undelivered, result.error) == (6, 0, None)
        assert _stored(receiver) == lines_of(log_path)

    def test_a_record_h11_will_not_send_is_tried_once_and_delivery_stops_at_it(
        self, log_path: Path, receiver: Receiver
    ) -> None:
        """An edited id (a line break) makes an illegal Idempotency-Key: h11's LocalProtocolError was retried as if the
        endpoint were unreachable, though the request is refused before it is sent, every time."""
        receiver.up()
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
        lines = lines_of(log_path)
        second = json.loads(lines[1])
        lines[1] = lines[1].replace(second["id"].encode(), b"edited\\nid")
        log_path.write_bytes(b"".join(lines))
        transport = _CountingTransport()
        forwarder = Forwarder(log_path, receiver.url, policy=FAST_RETRY, transport=transport)
        try:
            result = forwarder.deliver_pending()
        finally:
            forwarder.close()
        assert transport.handled == 2  # the first record, then the edited one once
        assert (result.delivered, result.undelivered) == (1, 5)
        assert result.error == "a record's request is malformed and was not sent (Illegal header value)"
        assert _stored(receiver) == lines[:1]


class TestForwardingFailures:
    def test_a_crashing_forwarder_never_fails_the_run(
        self, log_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def explode(self: Forwarder, *, wait_for_lock: bool = True) -> None:
            raise RuntimeError("bug")

        monkeypatch.setattr(Forwarder, "deliver_pending", explode)
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-1")
            summary = trail.delivery_summary()
        assert summary is not None
        assert "6 record(s) undelivered" in summary and "forwarding failed: RuntimeError" in summary
        assert verify_log(log_path).records == 6


    def test_a_forwarder_refusing_its_files_says_why(
        self, log_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Our own errors are written for the user: the summary keeps their words, not only 'AuditError'."""
        def refuse(self: Forwarder, *, wait_for_lock: bool = True) -> None:
            raise AuditError(f"cannot open {log_path}.delivered.lock: it is a symbolic link, which is not followed")

        monkeypatch.setattr(Forwarder, "deliver_pending", refuse)
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "run-1")
            summary = trail.delivery_summary()
        assert summary is not None
        assert f"forwarding failed: cannot open {log_path}.delivered.lock: it is a symbolic link" in summary


class TestNeverBlocksWrites:
    def test_writes_complete_while_the_endpoint_hangs(self, log_path: Path, receiver: Receiver) -> None:
        receiver.gate = threading.Event()
        receiver.up()
        trail = open_trail(log_path, forward_url=receiver.url)
        try:
            trail.run_started("run-1", {"create": 5})
            for n in range(5):  # would deadlock if a write waited for the held request
                seq = trail.intent(kind="Webhook", name=f"h{n}", object_id=None, action="create", method="POST",
                                   path="/api/v2/webhooks")
                trail.outcome(intent_seq=seq, outcome="success", status=200, object_id=f"id{n}", version=1)
            assert len(lines_of(log_path)) == 11
        finally:
            receiver.gate.set()
        trail.run_finished({"created": 5}, 0)  # the final forwarding pass waits here, bounded
        summary = trail.delivery_summary()
        trail.close()
        assert summary == f"audit forwarding: 12 record(s) delivered to {receiver.url}"
        assert _stored(receiver) == lines_of(log_path)


class TestDeliveryState:
    def test_state_holds_the_last_acknowledged_record_per_endpoint_without_credentials(
        self, log_path: Path, receiver: Receiver
    ) -> None:
        receiver.up()
        # user:password@ in the URL is refused outright (issue 13; see tests/adversarial/test_secrets.py);
        # a token in the query is still kept out of the state file.
        url = receiver.url + "?token=t0ken"
        with open_trail(log_path, forward_url=url) as trail:
            write_run(trail, "run-1")
            trail.delivery_summary()
        state_text = log_path.with_name("audit.jsonl.delivered").read_text()
        assert "t0ken" not in state_text
        state = json.loads(state_text)
        last = records_of(log_path)[-1]
        assert state["endpoints"][receiver.url] == {
            "seq": last["seq"],
            "hash": last["hash"],
            "offset": sum(len(line) for line in lines_of(log_path)[:-1]),
        }

    def test_a_url_with_credentials_is_refused_without_showing_them(self, log_path: Path) -> None:
        with pytest.raises(ConfigError, match="carries credentials") as caught:
            open_trail(log_path, forward_url="https://user:pa55word@127.0.0.1:9/audit")
        assert "pa55word" not in str(caught.value)

    def test_apply_refuses_it_before_reading_anything(self, tmp_path: Path) -> None:
        from click.testing import CliRunner

        from reconciler.cli import main

        examples = Path(__file__).resolve().parents[2] / "manifests"
        result = CliRunner().invoke(
            main, ["apply", str(examples), "--auto-approve", "--sandbox-db", str(tmp_path / "s.db"),
                   "--audit-url", "https://user:pa55word@127.0.0.1:9/audit"],
            env={"CRM_WEBHOOK_PASSWORD": "not-a-real-secret"},
        )
        assert result.exit_code == 1
        assert result.output.strip().splitlines()[-1] == (
            "error: --audit-url 'https://***@127.0.0.1:9/audit' carries credentials (user:password@): they would be "
            "printed, and sent as Basic auth; remove them"
        )
        assert "Live state" not in result.output and "pa55word" not in result.output
        assert not (tmp_path / "s.db").exists()  # not even the sandbox was opened

    def test_a_replaced_log_is_delivered_from_its_first_record(self, log_path: Path, receiver: Receiver) -> None:
        receiver.up()
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "old")
            trail.delivery_summary()
        old = lines_of(log_path)
        log_path.unlink()
        with open_trail(log_path, forward_url=receiver.url) as trail:
            write_run(trail, "new", writes=1)
            trail.delivery_summary()
        assert _stored(receiver) == old + lines_of(log_path)

    def test_without_a_url_there_is_no_summary_and_no_state(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
            assert trail.delivery_summary() is None
        assert not log_path.with_name("audit.jsonl.delivered").exists()

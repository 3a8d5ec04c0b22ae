"""WebhookSender against a real HTTP server on 127.0.0.1 (ephemeral port, in a thread). Sleeps are recorded,
never slept; only the hang case waits, for its 0.5 s timeout."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nexus_action.github.deadline import Deadline
from nexus_action.notify.send import WebhookOutcome, WebhookSender

PAYLOAD = {"text": "CI failed", "blocks": []}


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass
class Receiver:
    """A scripted webhook receiver: answers in order, records what it got."""

    server: ThreadingHTTPServer
    script: list[Answer] = field(default_factory=list)
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/services/T000/B000/secretsecretsecret") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append((self.path, dict(self.headers.items()), body))
            answer = receiver.script.pop(0) if receiver.script else Answer(200, "ok")
            if answer.hang:
                receiver.release.wait(10)  # released at teardown; the client gave up long before
                return
            data = answer.body.encode("utf-8")
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    rec = Receiver(server=server)
    server.RequestHandlerClass = _handler(rec)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield rec
    rec.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def sender(sleep: SleepRecorder, **kw: object) -> WebhookSender:
    options: dict[str, object] = {
        "timeout": 0.5,
        "retries": 3,
        "respect_retry_after": True,
        "max_wait": 60.0,
        "jitter": lambda: 0.5,
    }
    options.update(kw)
    return WebhookSender(sleep=sleep, **options)  # type: ignore[arg-type]


def post(receiver: Receiver, *answers: Answer, **kw: object) -> tuple[WebhookOutcome, SleepRecorder]:
    receiver.script.extend(answers)
    sleep = SleepRecorder()
    return sender(sleep, **kw).post(receiver.url(), PAYLOAD), sleep


def test_200_is_delivered_and_confirmed(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(200, "ok"))
    assert (outcome.status, outcome.accepted, outcome.confirmed, outcome.attempts) == (200, True, True, 1)
    assert outcome.error_code is None
    assert sleep.calls == []
    path, headers, body = receiver.received[0]
    assert path == "/services/T000/B000/secretsecretsecret"
    assert json.loads(body) == PAYLOAD
    assert headers["Content-Type"].startswith("application/json")
    assert headers["User-Agent"].startswith("nexus-autofix/")


def test_202_is_accepted_but_not_confirmed_and_says_so(receiver: Receiver) -> None:
    outcome, _ = post(receiver, Answer(202, ""))
    assert (outcome.status, outcome.accepted, outcome.confirmed) == (202, True, False)
    assert "not confirmed" in outcome.detail
    assert len(receiver.received) == 1


def test_400_invalid_blocks_is_final_and_reports_slacks_answer(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(400, "invalid_blocks"), Answer(200, "ok"))
    assert (outcome.status, outcome.accepted, outcome.attempts) == (400, False, 1)
    assert "invalid_blocks" in outcome.detail
    assert outcome.error_code == "NEXUS-WEBHOOK-REJECTED"
    assert len(receiver.received) == 1  # never retried
    assert sleep.calls == []


def test_429_waits_as_retry_after_says_then_delivers(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(429, "rate_limited", {"Retry-After": "7"}), Answer(200, "ok"))
    assert (outcome.status, outcome.accepted, outcome.attempts) == (200, True, 2)
    assert sleep.calls == [7]
    assert outcome.slept_seconds == 7
    assert len(receiver.received) == 2


def test_429_asking_for_more_than_max_wait_gives_up_without_waiting(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(429, "rate_limited", {"Retry-After": "120"}), max_wait=30.0)
    assert (outcome.status, outcome.accepted, outcome.attempts) == (429, False, 1)
    assert sleep.calls == []
    assert "wait 120 s" in outcome.detail
    assert "max-wait 30 s" in outcome.detail
    assert len(receiver.received) == 1


def test_429_without_respecting_retry_after_uses_the_jittered_backoff(receiver: Receiver) -> None:
    outcome, sleep = post(
        receiver, Answer(429, "", {"Retry-After": "40"}), Answer(200, "ok"), respect_retry_after=False
    )
    assert outcome.accepted
    assert sleep.calls == [1.25]  # 1 s * 2**0 + jitter 0.5 * 0.5


def test_500_then_200_retries_once_after_a_jittered_backoff(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(500, "rollup_error"), Answer(200, "ok"))
    assert (outcome.status, outcome.accepted, outcome.confirmed, outcome.attempts) == (200, True, True, 2)
    assert sleep.calls == [1.25]
    assert len(receiver.received) == 2
    assert receiver.received[0][2] == receiver.received[1][2]  # the same body again


def test_5xx_retries_are_bounded_and_back_off_exponentially(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, *[Answer(503, "busy")] * 5, retries=2)
    assert (outcome.status, outcome.accepted, outcome.attempts) == (503, False, 3)
    assert sleep.calls == [1.25, 2.25]
    assert len(receiver.received) == 3
    assert "after 3 attempts" in outcome.detail
    assert outcome.error_code == "NEXUS-DELIVERY-FAILED"


def test_backoff_never_exceeds_max_wait(receiver: Receiver) -> None:
    _, sleep = post(receiver, *[Answer(502)] * 4, retries=3, max_wait=1.5)
    assert sleep.calls == [1.25, 1.5, 1.5]


def test_a_hang_times_out_is_not_resent_and_never_shows_the_url(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(200, hang=True), timeout=0.5)
    assert (outcome.status, outcome.accepted, outcome.confirmed, outcome.attempts) == (None, False, False, 1)
    assert "timed out" in outcome.detail
    assert len(receiver.received) == 1  # the body may have arrived: a second POST could double the alert
    assert sleep.calls == []
    assert "secretsecretsecret" not in outcome.detail


def test_connection_refused_is_retried_then_reported_without_the_url() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens here now
    sleep = SleepRecorder()
    outcome = sender(sleep, retries=2).post(f"http://127.0.0.1:{port}/hooks/secretsecretsecret", PAYLOAD)
    assert (outcome.status, outcome.accepted, outcome.attempts) == (None, False, 3)
    assert sleep.calls == [1.25, 2.25]
    assert "secretsecretsecret" not in outcome.detail
    assert "after 3 attempts" in outcome.detail


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    outcome, _ = post(receiver, Answer(302, "", {"Location": "https://elsewhere.example/steal?x=1"}))
    assert (outcome.status, outcome.accepted) == (302, False)
    assert "https://elsewhere.example/***" in outcome.detail
    assert len(receiver.received) == 1


def test_legacy_connector_error_inside_a_200_is_not_success(receiver: Receiver) -> None:
    body = "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi"
    outcome, _ = post(receiver, Answer(200, body))
    assert (outcome.status, outcome.accepted) == (429, False)


def test_the_receivers_answer_is_redacted_and_bounded(receiver: Receiver) -> None:
    echo = "invalid_payload for /services/T000/B000/secretsecretsecret " + "x" * 2000
    outcome, _ = post(receiver, Answer(400, echo))
    assert "secretsecretsecret" not in outcome.detail
    assert len(outcome.detail) < 400


def test_a_callers_session_keeps_its_own_adapters(receiver: Receiver) -> None:
    import requests

    session = requests.Session()
    before = dict(session.adapters)
    receiver.script.append(Answer(200, "ok"))
    WebhookSender(
        timeout=0.5, retries=0, respect_retry_after=True, max_wait=5, sleep=SleepRecorder(), session=session
    ).post(receiver.url(), PAYLOAD)
    assert session.adapters == before


def test_no_retries_means_exactly_one_attempt(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(500, "down"), Answer(200, "ok"), retries=0)
    assert (outcome.status, outcome.accepted, outcome.attempts) == (500, False, 1)
    assert sleep.calls == []
    assert len(receiver.received) == 1


def test_503_with_retry_after_is_honoured_like_429(receiver: Receiver) -> None:
    outcome, sleep = post(receiver, Answer(503, "", {"Retry-After": "3"}), Answer(204))
    assert (outcome.status, outcome.accepted, outcome.confirmed) == (204, True, True)
    assert sleep.calls == [3]


class FakeClock:
    """A monotonic clock that the recorded sleeps move forward, so waits count against the deadline."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_past_the_deadline_nothing_is_sent(receiver: Receiver) -> None:
    clock = FakeClock()
    deadline = Deadline(5, clock=clock)
    clock.now = 6
    outcome = sender(SleepRecorder(), deadline=deadline).post(receiver.url(), PAYLOAD)
    assert not outcome.accepted
    assert outcome.error_code == "NEXUS-DEADLINE"
    assert "deadline" in outcome.detail
    assert receiver.received == []


def test_a_retry_after_beyond_the_deadline_is_not_waited(receiver: Receiver) -> None:
    clock = FakeClock()
    sleep = SleepRecorder()
    receiver.script.append(Answer(429, "slow down", {"Retry-After": "30"}))
    outcome = sender(sleep, deadline=Deadline(5, clock=clock)).post(receiver.url(), PAYLOAD)
    assert outcome.error_code == "NEXUS-DEADLINE"
    assert sleep.calls == []  # 30 s fits max-wait (60 s) but not the 5 s left
    assert len(receiver.received) == 1


def test_waits_inside_the_deadline_are_made_and_counted(receiver: Receiver) -> None:
    clock = FakeClock()
    receiver.script += [Answer(503, "busy", {"Retry-After": "2"}), Answer(200, "ok")]
    outcome = sender(clock.sleep, deadline=Deadline(5, clock=clock)).post(receiver.url(), PAYLOAD)  # type: ignore[arg-type]
    assert outcome.accepted
    assert outcome.waits == (2.0,)
    assert clock.now == 2.0

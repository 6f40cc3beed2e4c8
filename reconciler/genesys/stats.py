"""Counters of what the client did: requests, retries, waits. For benchmarks and ``--verbose``.

They are plain counters updated from the event loop's single thread; nothing here
records a header, a body or a secret, only methods, path templates and reasons.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: the last segment of a path the platform reads through a POST (``POST /api/v2/audits/query``, SDK
#: ``AuditApi.post_audits_query``: the body is the question, nothing is changed): a query, not a write
QUERY_SEGMENT = "/query"


def is_query(method: str, template: str) -> bool:
    """A POST that only asks (``.../query``); why apart: counted as writes, a read-only ``drift``
    run showed "(4 writes)" for its four audit queries."""
    return method == "POST" and template.rstrip("/").endswith(QUERY_SEGMENT)


@dataclass
class ClientStats:
    """What one :class:`~reconciler.genesys.client.GenesysClient` has sent and waited for.

    ``requests`` counts every HTTP exchange attempted (retries included) by
    ``(method, path template)``, e.g. ``("PUT", "/api/v2/webhooks/{id}")``; token
    requests are counted apart in ``token_fetches``.
    """

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    wait_counts: Counter[str] = field(default_factory=Counter)
    #: seconds are fractional, so a float-valued mapping rather than a Counter (whose counts are ints)
    wait_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    rate_limited: int = 0
    token_fetches: int = 0
    token_refreshes_on_401: int = 0
    adopted: int = 0
    latency_ms_total: float = 0.0

    # ---- recording ------------------------------------------------------------------
    def record_request(self, method: str, template: str) -> None:
        self.requests[(method, template)] += 1

    def record_response(self, status: int, latency_ms: float) -> None:
        self.statuses[status] += 1
        self.latency_ms_total += latency_ms
        if status == 429:
            self.rate_limited += 1

    def record_retry(self, reason: str) -> None:
        self.retries[reason] += 1

    def record_wait(self, reason: str, seconds: float) -> None:
        if seconds <= 0:
            return
        self.wait_counts[reason] += 1
        self.wait_seconds[reason] += seconds

    # ---- derived figures ------------------------------------------------------------
    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def writes(self) -> int:
        """Exchanges that may change the server (POST, PUT, PATCH, DELETE but a query's POST), retries included."""
        return sum(
            n for (method, path), n in self.requests.items() if method in WRITE_METHODS and not is_query(method, path)
        )

    @property
    def queries(self) -> int:
        """POSTs that only ask (:func:`is_query`), retries included: reads, counted apart from :attr:`writes`."""
        return sum(n for (method, path), n in self.requests.items() if is_query(method, path))

    @property
    def total_retries(self) -> int:
        return sum(self.retries.values())

    @property
    def total_wait_seconds(self) -> float:
        return float(sum(self.wait_seconds.values()))

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready snapshot (for benchmark reports)."""
        return {
            "requests": {f"{m} {p}": n for (m, p), n in sorted(self.requests.items())},
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "retries": dict(sorted(self.retries.items())),
            "waits": {
                reason: {"count": self.wait_counts[reason], "seconds": round(self.wait_seconds[reason], 3)}
                for reason in sorted(self.wait_counts)
            },
            "rate_limited": self.rate_limited,
            "token_fetches": self.token_fetches,
            "token_refreshes_on_401": self.token_refreshes_on_401,
            "adopted": self.adopted,
            "total_requests": self.total_requests,
            "writes": self.writes,
            "queries": self.queries,
        }

    def _queries_note(self) -> str:
        n = self.queries
        return f", {n} quer{'y' if n == 1 else 'ies'}" if n else ""

    def summary(self) -> str:
        """A few lines for ``--verbose``: totals first, then the detail by endpoint."""
        mean = self.latency_ms_total / max(1, sum(self.statuses.values()))
        lines = [
            f"{self.total_requests} requests ({self.writes} writes{self._queries_note()}), mean latency {mean:.0f} ms, "
            f"{self.token_fetches} token fetch(es), {self.rate_limited} rate-limited (429)",
        ]
        if self.retries:
            detail = ", ".join(f"{reason} {n}" for reason, n in sorted(self.retries.items()))
            lines.append(f"{self.total_retries} retries: {detail}")
        if self.wait_counts:
            detail = ", ".join(
                f"{reason} {self.wait_counts[reason]}x {self.wait_seconds[reason]:.1f}s"
                for reason in sorted(self.wait_counts)
            )
            lines.append(f"waits (summed over concurrent calls) {self.total_wait_seconds:.1f}s: {detail}")
        if self.adopted:
            lines.append(f"{self.adopted} lost write(s) found landed and adopted")
        for (method, template), n in sorted(self.requests.items(), key=lambda item: (item[0][1], item[0][0])):
            lines.append(f"  {method:<6} {template}  {n}")
        return "\n".join(lines)

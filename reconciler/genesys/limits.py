"""The client's tunable limits, in one frozen value so a benchmark or a flag can change any of them."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.errors import ConfigError
from reconciler.genesys.pacing import Clock, RateLimiter, Sleep

#: the page size every Genesys Cloud listing accepts (the SDK's documented ``pageSize`` maximum
#: for most endpoints); some allow more, and say so in their kind's ``Listing.page_size_max``
PAGE_SIZE_MAX = 100


@dataclass(frozen=True)
class ClientLimits:
    """Pacing, retry and paging limits of a :class:`~reconciler.genesys.client.GenesysClient`.

    The defaults keep just under Genesys Cloud's 300 requests a minute per token
    (``per_minute_cap``: never more than 298 in any 60-second window), while a long apply
    still sends at 286 a minute, 95 % of the limit (issue 17: 280 was 93 %), and a small
    command's requests go out at once (``rate_burst``).
    """

    requests_per_minute: float = 286
    max_concurrency: int = 8
    max_attempts: int = 6
    max_retry_after: float = 60.0
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    timeout: float = 30.0
    #: a cap on every listing's page, for tests that want several pages of a few objects.
    #: ``None``: each endpoint's own largest page (``Listing.page_size_max``: 500 for speech
    #: topics, 200 for process automation triggers, 100 elsewhere), so a plan asks for as few
    #: pages as the platform allows.
    page_size: int | None = None
    #: requests the limiter lets out back to back before spacing them: 16 lets a plan's dozen
    #: listings and a small apply's writes go out at once instead of one every 0.2 s
    rate_burst: int = 16
    #: requests past ``requests_per_minute`` that any 60-second window may hold: the cap on a
    #: window is ``requests_per_minute + per_minute_margin`` (298 by default: under 300 even
    #: though 286 + a burst of 16 would allow 302)
    per_minute_margin: int = 12
    #: refresh a token this long before it expires (at most a fifth of its lifetime)
    token_refresh_margin: float = 60.0
    #: seconds one attempt may take in all (connect, every byte of the answer). ``timeout``
    #: is httpx's per-read bound, which a server trickling a byte at a time resets for ever.
    #: 90 s is three read timeouts: ample for the largest honest page, short enough to retry.
    #: The wait for a token is not part of it: each token request has a deadline of this
    #: length of its own, and the login its own retries (see :mod:`.auth`).
    request_deadline: float = 90.0
    #: the most bytes an answer's body may hold once decoded (gunzipped); a larger one is
    #: refused as an invalid answer, read no further. Why: a body is inflated as it is read,
    #: and 2 MB of gzip can inflate to 2 GiB and more, exhausting memory before anything
    #: could look at it. 64 MiB is generous: an answer is one object or one page of at most
    #: 500 objects, a few MB even for large objects; the cap need not fit honest answers
    #: tightly, only bound what a hostile one can take.
    max_body_bytes: int = 64 * 1024 * 1024
    #: pages one listing may take in all. 10,000 pages of 100 is a million objects of one
    #: kind, far past any org's platform limits (e.g. 1,000s of queues), yet at 286 requests a
    #: minute still ends a runaway listing in about half an hour instead of never.
    max_pages: int = 10_000
    #: pages a listing may grow by past the ``pageCount`` its first page announced. An org
    #: gaining more than 1,000 objects of a kind while it is read is not plausible; a
    #: ``pageCount`` that grows page after page is a broken or hostile server.
    max_extra_pages: int = 10
    #: reads that confirm a lost write against a lagging server, and the first wait between
    #: them (doubling). A real org's listings lag its writes; CX
    #: as Code's consistency checker re-reads up to 5 times within a 5-minute read retry.
    #: 6 reads over about 30 s (1 + 2 + 4 + 8 + 16) outlast the lag seen in practice (seconds)
    #: while keeping a genuinely lost write's cost bounded; only lost writes ever wait it.
    confirm_reads: int = 6
    confirm_wait: float = 1.0
    #: the first wait before a publish job is polled again (doubling up to 5 s): a real job
    #: runs for seconds to minutes; the in-process sandbox finishes one on its next poll
    job_poll_initial: float = 0.25

    def rate_limiter(self, *, clock: Clock, sleep: Sleep) -> RateLimiter:
        """The limiter these limits describe: the rate, the burst and the cap on any minute."""
        cap = int(self.requests_per_minute) + self.per_minute_margin
        rpm = self.requests_per_minute
        return RateLimiter(rpm, burst=self.rate_burst, per_minute_cap=cap, clock=clock, sleep=sleep)

    def page_for(self, endpoint_max: int = PAGE_SIZE_MAX) -> int:
        """The page size to ask an endpoint for: its largest, unless :attr:`page_size` caps it lower."""
        return endpoint_max if self.page_size is None else min(self.page_size, endpoint_max)

    def __post_init__(self) -> None:
        problems = []
        if self.requests_per_minute <= 0:
            problems.append("requests_per_minute must be positive")
        if self.max_concurrency < 1:
            problems.append("max_concurrency must be at least 1")
        if self.max_attempts < 1:
            problems.append("max_attempts must be at least 1")
        if self.max_retry_after < 0 or self.backoff_initial < 0 or self.backoff_max < 0:
            problems.append("waits must not be negative")
        if self.timeout <= 0:
            problems.append("timeout must be positive")
        if self.page_size is not None and not 1 <= self.page_size <= PAGE_SIZE_MAX:
            problems.append("page_size must be between 1 and 100 (the API's range)")
        if self.request_deadline <= 0:
            problems.append("request_deadline must be positive")
        if self.max_body_bytes < 1:
            problems.append("max_body_bytes must be positive")
        if self.max_pages < 1 or self.max_extra_pages < 0:
            problems.append("max_pages must be at least 1 and max_extra_pages not negative")
        if self.confirm_reads < 1 or self.confirm_wait < 0:
            problems.append("confirm_reads must be at least 1 and confirm_wait not negative")
        if self.rate_burst < 1:
            problems.append("rate_burst must be at least 1")
        if problems:
            raise ConfigError("invalid client limits: " + "; ".join(problems))

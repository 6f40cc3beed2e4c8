"""HTTP names both ends of the wire must spell alike.

The client reads the correlation id of every answer to put it in errors and in the
audit trail; the sandbox writes it on every answer it gives. One constant in the bottom
layer keeps the two from drifting apart, without the client importing the sandbox or
the sandbox importing the client.
"""

from __future__ import annotations

#: The header Genesys Cloud sets on every answer, naming the request in its own logs
#: (the platform SDK's ``ININ-Correlation-Id``; an ``ErrorBody``'s ``contextId`` repeats it).
CORRELATION_HEADER = "ININ-Correlation-Id"

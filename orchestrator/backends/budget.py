"""The request budget every server the CLI talks to gets: the bounds, in one place.

`diff` runs on untrusted pull requests with CI secrets in the process, so a server may be hostile: a
listing that never ends, a body of gigabytes, an answer trickled a byte at a time. Each bound is far
past what a real project needs (the product is benchmarked at 5,000 specs: 50 pages of 100) and
short of forever; crossing one is an error naming the URL and the bound (transport.py, wire.py).
"""

from __future__ import annotations

# a listing (wire.read_list): pages asked for, and objects read, before it is refused as endless
MAX_PAGES = 1_000  # 100,000 objects at 100 a page: 20 times the 5,000-spec benchmark
MAX_ITEMS = 100_000  # the same at 100 a page; 10 pages of /files at 10,000 a page
# one response body, counted as it streams in and refused at the bound (a page of 100 objects at the
# API's largest, 256,000-character instructions each, is about 26 MB)
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# one request, whole (connect, send, headers and body), must be done within the target's `timeout`
# seconds, plus this much per MiB it uploads (a knowledge file of 512 MiB gets 512 s more)
UPLOAD_SECONDS_PER_MIB = 1.0

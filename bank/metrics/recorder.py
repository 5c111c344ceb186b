"""In-process counters of the requests the CDR metrics cover: what a request pays to be counted.

Recording is a few dictionary updates under a lock: no I/O, no row per request. A flush
(services.metrics_flush: the background flusher every BANK_METRICS_FLUSH_SECONDS, the
`metrics_flush_task`, and exit) swaps the dictionaries out and adds them to the minute
buckets in the database. Each process keeps its own counters; the buckets add up across
processes because a flush adds to a row rather than writing it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

#: (minute epoch, tier, software product ID, status, authenticated, customer present)
BucketKey = tuple[int, str, str, int, bool, bool]
#: (epoch second, authenticated)
SecondKey = tuple[int, bool]
#: Counts kept while the database cannot take them (a flush that failed puts them back):
#: about a day of traffic at one distinct second per call. Beyond it new counts are dropped
#: rather than growing the process without bound; the loss is logged by the flusher.
MAX_PENDING_SECONDS = 100_000


@dataclass(slots=True)
class Pending:
    """What was counted since the last flush."""

    #: key -> [count, latency in microseconds, calls within the tier's threshold]
    buckets: dict[BucketKey, list[int]] = field(default_factory=dict)
    #: calls per second, for average and peak TPS
    seconds: dict[SecondKey, int] = field(default_factory=dict)
    dropped: int = 0

    def __bool__(self) -> bool:
        return bool(self.buckets or self.seconds or self.dropped)


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = Pending()

    def record(self, *, at: float, tier: str, software_product_id: str, status_code: int,
               authenticated: bool, customer_present: bool, latency_us: int,
               within_threshold: bool) -> None:
        second = int(at)
        key = (second - second % 60, tier, software_product_id, status_code, authenticated,
               customer_present)
        second_key = (second, authenticated)
        with self._lock:
            pending = self._pending
            if len(pending.seconds) >= MAX_PENDING_SECONDS and second_key not in pending.seconds:
                pending.dropped += 1
                return
            counts = pending.buckets.get(key)
            if counts is None:
                pending.buckets[key] = [1, latency_us, int(within_threshold)]
            else:
                counts[0] += 1
                counts[1] += latency_us
                counts[2] += within_threshold
            pending.seconds[second_key] = pending.seconds.get(second_key, 0) + 1

    def drain(self) -> Pending:
        """Take everything counted so far; the recorder starts again from zero."""
        with self._lock:
            taken, self._pending = self._pending, Pending()
        return taken

    def restore(self, pending: Pending) -> None:
        """Put back counts a flush could not write, so that the next flush retries them."""
        with self._lock:
            current = self._pending
            for key, (count, latency, within) in pending.buckets.items():
                counts = current.buckets.setdefault(key, [0, 0, 0])
                counts[0] += count
                counts[1] += latency
                counts[2] += within
            for second_key, count in pending.seconds.items():
                current.seconds[second_key] = current.seconds.get(second_key, 0) + count
            current.dropped += pending.dropped


#: The process's recorder.
recorder = Recorder()

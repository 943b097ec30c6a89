"""The Kafka client's log lines, collapsed (newswire.log.ClientNoise): each distinct message
once a minute with a count of those held back, none while the cluster is known to be away;
newswire's own lines always pass."""

from __future__ import annotations

import logging
import time

from newswire.log import ClientNoise


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_a_repeated_client_message_passes_once_per_interval_with_a_count() -> None:
    noise = ClientNoise(every_s=0.05)
    first = [noise.filter(record("aiokafka", "Unable connect to node %s", n)) for n in range(50)]
    assert first == [True] + [False] * 49
    other = record("aiokafka.consumer.fetcher", "Failed fetch messages from %s", 1)
    assert noise.filter(other)  # another message has its own allowance
    time.sleep(0.06)
    again = record("aiokafka", "Unable connect to node %s", 7)
    assert noise.filter(again)
    assert again.getMessage() == "Unable connect to node 7 [and 49 more like it held back]"


def test_nothing_of_the_client_passes_during_an_outage_and_it_is_counted() -> None:
    noise = ClientNoise(every_s=0.0)
    noise.outage = True
    assert not any(noise.filter(record("aiokafka", f"line {n}")) for n in range(300))
    assert noise.filter(record("newswire.kafka.watch", "kafka unreachable since 10:00:00Z"))
    assert noise.take_held_in_outage() == 300
    assert noise.take_held_in_outage() == 0
    noise.outage = False
    assert noise.filter(record("aiokafka", "line 1"))

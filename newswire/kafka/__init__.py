"""All Kafka plumbing: topics, the producer wrapper, the one consumer runner."""

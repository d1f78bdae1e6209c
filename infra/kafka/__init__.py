"""The Kafka transport of the distributed mode: topics, the relay from the store, the consumer source."""

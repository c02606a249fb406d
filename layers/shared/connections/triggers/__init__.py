"""The edges of the functions that no HTTP request triggers: EventBridge Scheduler and SQS events in,
logs, metrics and traces out. Like ``http/``, they wire adapters to a domain service and return."""

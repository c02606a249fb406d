"""Adapters of scheduled syncs: EventBridge Scheduler schedules and the SQS page queue."""

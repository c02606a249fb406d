"""Rule-based classification of segments against the IAB Audience Taxonomy 1.1 (stdlib only)."""

from connections.adapters.classifier.rule_based import ENGINE_VERSION, RuleBasedClassifier

__all__ = ["ENGINE_VERSION", "RuleBasedClassifier"]

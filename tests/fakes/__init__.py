"""Fakes for tests: the platforms as real HTTP servers bound to 127.0.0.1 (``platforms.py``,
``http_server.py``, ``segment_catalogue.py``), and typed in-memory implementations of every port for unit
tests (``connection_store.py``, ``run_stores.py``, ``topic_store.py``, ``key_store.py``,
``in_memory_platforms.py``, ``classifiers.py``, ``credential_ciphers.py``, ``session_verifiers.py``,
``scheduling.py``; ``in_memory_stores.py`` puts the stores on one clock), which keep the DynamoDB
adapters' rules (tests/integration/test_fake_store_parity.py runs both)."""

from tests.fakes.http_server import FakeHttpServer, FakeResponse, FaultQueue, LocalTls, RecordedRequest

__all__ = ["FakeHttpServer", "FakeResponse", "FaultQueue", "LocalTls", "RecordedRequest"]

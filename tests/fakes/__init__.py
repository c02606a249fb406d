"""Fake platform servers for tests: real HTTP servers bound to 127.0.0.1."""

from tests.fakes.http_server import FakeHttpServer, FakeResponse, FaultQueue, LocalTls, RecordedRequest

__all__ = ["FakeHttpServer", "FakeResponse", "FaultQueue", "LocalTls", "RecordedRequest"]

"""Schemathesis hooks for the API fuzzing test (tests/api/api_spec.rs).

tus sends upload bytes as `application/offset+octet-stream`, a media type
schemathesis has no serializer for: its bodies go on the wire as raw bytes,
like `application/octet-stream`.
"""
import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    return {"data": serialize_binary(value)}

"""Uploads a file with tuspy (the tus client from PyPI), as the tests ask.

Usage: tus_upload.py '<json>' with keys endpoint, token, file, metadata,
chunk_size, and optionally url (resume that upload), stop_at, checksum.
Prints one JSON line: url, offset, status headers of the last PATCH, or
the error that stopped the client.
"""
import hashlib
import json
import sys

from tusclient import client
from tusclient.uploader import Uploader

args = json.loads(sys.argv[1])
Uploader.CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)
tus = client.TusClient(args["endpoint"], headers={"Authorization": "Bearer " + args["token"]})
uploader = tus.uploader(
    file_path=args["file"],
    chunk_size=args["chunk_size"],
    metadata=args.get("metadata", {}),
    url=args.get("url"),
    upload_checksum=args.get("checksum", False),
)
result = {"started_at": uploader.offset}
try:
    uploader.upload(stop_at=args.get("stop_at"))
    request = getattr(uploader, "request", None)
    result["headers"] = request.response_headers if request is not None else {}
except Exception as error:  # the tests look at what stopped the client
    result["error"] = f"{type(error).__name__}: {error}"
result["url"] = uploader.url
result["offset"] = uploader.offset
print(json.dumps(result))

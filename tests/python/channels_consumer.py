"""A Django Channels application as the platform runs it: a WebSocket
consumer of `/ws/projects/<slug>/` joined to the channel-layer group
`project_<slug>` on a channels_redis RedisChannelLayer, whose
`stockage_event` handler forwards what it receives to its socket.

The tests of Stockage's Channels bridge start it and read its output: a
line `ready` once the consumer has joined its group, then one JSON line
per message `stockage_event` received, in the order received.

    python channels_consumer.py REDIS_URL PREFIX SLUG
"""
import asyncio
import json
import sys

import django
from django.conf import settings
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError, TimeoutError

REDIS_URL, PREFIX, SLUG = sys.argv[1:4]

settings.configure(
    INSTALLED_APPS=["channels"],
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # The platform rides out a Redis restart: commands are
                # retried for up to a minute while the server comes back.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "retry": Retry(ConstantBackoff(0.2), 300),
                        "retry_on_error": [ConnectionError, TimeoutError, OSError],
                    }
                ],
                "prefix": PREFIX,
            },
        }
    },
)
django.setup()

from asgiref.testing import ApplicationCommunicator  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class ProjectConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = "project_" + self.scope["url_route"]["kwargs"]["slug"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def stockage_event(self, message):
        await self.send_json(message)


application = URLRouter([path("ws/projects/<slug:slug>/", ProjectConsumer.as_asgi())])

DAY = 24 * 3600


async def main():
    # The consumer runs as under an ASGI server: asgiref's in-process driver
    # plays the browser's side of the WebSocket.
    scope = {
        "type": "websocket",
        "path": f"/ws/projects/{SLUG}/",
        "headers": [],
        "query_string": b"",
        "subprotocols": [],
    }
    socket = ApplicationCommunicator(application, scope)
    await socket.send_input({"type": "websocket.connect"})
    accepted = await socket.receive_output(timeout=30)
    assert accepted["type"] == "websocket.accept", accepted
    print("ready", flush=True)
    while True:
        frame = await socket.receive_output(timeout=DAY)
        if frame["type"] != "websocket.send":
            print(json.dumps({"closed": frame}), flush=True)
            return
        print(frame["text"], flush=True)


asyncio.run(main())

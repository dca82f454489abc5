"""Live updates: a chat room over WebSocket and a feed of to-do changes over Server-Sent Events.

Both run on ``Hub``, a publish/subscribe board in the process's memory. With ``--workers N``
each worker has its own hub, so a message reaches only the clients of the worker it was sent
to: an app that runs several workers publishes through something they share (Redis pub/sub).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from covet import Depends, EventSourceResponse, Request, ServerSentEvent, WebSocket
from covet.routing import Router

#: Where the API publishes what changes (see examples/demo/api.py).
TODO_EVENTS = "todos"
MAX_MESSAGE_LENGTH = 500

router = Router()


class Hub:
    """Topics with subscribers; a subscriber reads what is published as it arrives."""

    def __init__(self, queue_size: int = 100) -> None:
        self.queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Any]]] = {}

    @contextlib.contextmanager
    def subscribe(self, topic: str) -> Iterator[asyncio.Queue[Any]]:
        """A queue receiving what is published to ``topic`` until the block ends."""
        queue: asyncio.Queue[Any] = asyncio.Queue(self.queue_size)
        subscribers = self._subscribers.setdefault(topic, set())
        subscribers.add(queue)
        try:
            yield queue
        finally:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[topic]

    def publish(self, topic: str, message: Any) -> int:
        """Hand ``message`` to each subscriber of ``topic``; how many got it.

        A subscriber whose queue is full (a client not reading) misses the message rather
        than slowing the publisher down.
        """
        delivered = 0
        for queue in self._subscribers.get(topic, ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(message)
                delivered += 1
        return delivered


def get_hub(request: Request) -> Hub:
    hub: Hub = request.state.hub  # put there by the lifespan (examples/demo/database.py)
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


@router.websocket("/rooms/{room:slug}", name="room")
async def chat_room(websocket: WebSocket) -> None:
    """Everyone connected to a room gets every message sent in it, as ``{"from", "text"}``.

    ``?name=`` is the sender's name; messages longer than 500 characters are cut.
    """
    hub: Hub = websocket.state.hub
    topic = f"room:{websocket.path_params['room']}"
    sender = (websocket.query_params.get("name") or "anonymous")[:40]
    await websocket.accept()
    with hub.subscribe(topic) as inbox:

        async def forward() -> None:
            while True:
                await websocket.send_json(await inbox.get())

        forwarding = asyncio.create_task(forward())
        try:
            async for text in websocket.iter_text():
                hub.publish(topic, {"from": sender, "text": text[:MAX_MESSAGE_LENGTH]})
        finally:
            forwarding.cancel()
            # Its outcome is moot now: cancelled, or failed sending to a client that has gone.
            await asyncio.gather(forwarding, return_exceptions=True)


@router.get("/events", tags=["live"])
async def todo_events(hub: HubDep) -> EventSourceResponse:
    """Server-Sent Events: a ``ready`` event once subscribed, then one event per to-do change
    (``todo.created``, ``todo.updated``, ``todo.deleted``) with the to-do as JSON data."""

    async def events() -> AsyncIterator[ServerSentEvent]:
        with hub.subscribe(TODO_EVENTS) as inbox:
            yield ServerSentEvent("subscribed", event="ready", retry=3000)
            while True:
                kind, data = await inbox.get()
                yield ServerSentEvent(data, event=kind)

    return EventSourceResponse(events())

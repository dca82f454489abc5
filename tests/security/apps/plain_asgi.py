"""A bare ASGI callable: servable, but not a Covet app the deployment check can read."""


async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})

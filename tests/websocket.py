"""A WebSocket client for an ASGI application in this process: channels'
WebsocketCommunicator, whose package (channels.testing) imports daphne, which this
project does not install (uvicorn serves the sockets)."""

from __future__ import annotations

from typing import Any

from asgiref.testing import ApplicationCommunicator


class WebsocketCommunicator(ApplicationCommunicator):
    def __init__(self, application: Any, path: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:
        super().__init__(application, {"type": "websocket", "path": path, "query_string": b"",
                                       "headers": headers or [], "subprotocols": []})

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, response.get("subprotocol")

    async def receive_from(self, timeout: float = 1) -> str:
        """A frame's text (the seat map comes as UTF-8 bytes in a binary frame)."""
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        if response.get("bytes") is not None:
            return response["bytes"].decode()
        return response["text"]

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)

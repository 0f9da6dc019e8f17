"""The WebSocket gateway: the asyncio server, its connections, authentication and actions."""

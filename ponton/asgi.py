"""The ASGI application: Django over HTTP, Channels consumers over websockets.

Browsers authenticate websockets with their session cookie (and the origin
check stops other sites from borrowing it); tools and integrations send
`Authorization: Bearer TOKEN` as with the API.
"""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponton.settings")
django_application = get_asgi_application()

# Importing consumers needs the apps loaded, hence after get_asgi_application().
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from ponton.accounts.services import user_for_token  # noqa: E402
from ponton.routing import websocket_urlpatterns  # noqa: E402


class BearerTokenMiddleware:
    """A websocket without a signed-in session may carry an API token instead."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            headers = dict(scope.get("headers", []))
            scheme, _, token = (
                headers.get(b"authorization", b"").decode(errors="replace").partition(" ")
            )
            if scheme.lower() == "bearer" and token:
                found = await database_sync_to_async(user_for_token)(token.strip())
                if found is not None:
                    scope = {**scope, "user": found}
        return await self.inner(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(BearerTokenMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

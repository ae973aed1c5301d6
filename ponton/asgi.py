"""The ASGI application: Django over HTTP, Channels consumers over websockets.

Browsers authenticate websockets with their session cookie (and the origin
check stops other sites from borrowing it); tools and integrations send
`Authorization: Bearer TOKEN` as with the API. The chat widget's websocket also
admits the sites listed in PONTON_WIDGET_ORIGINS: it proves itself with the
conversation's token, never a cookie.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponton.settings")
django_application = get_asgi_application()

# Importing consumers needs the apps loaded, hence after get_asgi_application().
from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from ponton.accounts.services import user_for_token  # noqa: E402
from ponton.bodylimit import BodyLimitASGI  # noqa: E402
from ponton.routing import websocket_urlpatterns  # noqa: E402

WIDGET_SOCKET = "/ws/chat/"


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


class WidgetOriginValidator:
    """The same-site origin check, except that the widget's chat socket also admits the
    exact origins of the sites that embed it (PONTON_WIDGET_ORIGINS)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.same_site = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope.get("path", "").startswith(WIDGET_SOCKET):
            origin = dict(scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
            if origin.lower() in settings.PONTON_WIDGET_ORIGINS:
                return await self.inner(scope, receive, send)
        return await self.same_site(scope, receive, send)


class DjangoThreads:
    """Run each HTTP request's synchronous code on one of a fixed set of threads.

    Left alone, Django under ASGI gives every request a new thread, and a database
    connection belongs to its thread: each request would open a connection (slow),
    or, with DATABASE_CONN_MAX_AGE, leave one open behind it until the server runs
    out. Borrowing one of `size` long-lived threads keeps at most `size` connections
    per process and lets persistent connections be reused, as under a threaded
    WSGI server. A request waits when all threads are busy.
    """

    def __init__(self, inner: Any, size: int) -> None:
        self.inner = inner
        self.size = size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.executors: list[ThreadPoolExecutor] = []
        self.idle: asyncio.Queue[ThreadPoolExecutor] = asyncio.Queue()

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        # Once per event loop: a server has one, tests start one server after another.
        for executor in self.executors:
            executor.shutdown(wait=False)
        self.loop = loop
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-{n}")
            for n in range(self.size)
        ]
        self.idle = asyncio.Queue()
        for executor in self.executors:
            self.idle.put_nowait(executor)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self._start(loop)
        idle = self.idle
        executor = await idle.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await self.inner(scope, receive, send)
        finally:
            idle.put_nowait(executor)


if os.environ.get("PONTON_WARM_UP"):  # `ponton serve`
    from ponton.assistant.warm import warm_up_in_background

    warm_up_in_background()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitASGI(DjangoThreads(django_application, settings.WEB_THREADS)),
        "websocket": WidgetOriginValidator(
            AuthMiddlewareStack(BearerTokenMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

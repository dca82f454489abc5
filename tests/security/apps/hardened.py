"""An app configured from the environment the way a production deployment should be."""

from covet import Covet
from covet.middleware import Middleware
from covet.security.csrf import CSRFMiddleware
from covet.security.sessions import SessionMiddleware

app = Covet(middleware=[Middleware(SessionMiddleware), Middleware(CSRFMiddleware)])


@app.get("/")
async def index(request):
    return "hello"

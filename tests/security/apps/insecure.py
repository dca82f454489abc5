"""An app with every insecure setting ``covet check --deploy`` knows about."""

from covet import Covet, Settings
from covet.middleware import Middleware
from covet.middleware.cors import CORSMiddleware
from covet.security.csrf import CSRFMiddleware
from covet.security.sessions import SessionMiddleware

app = Covet(
    settings=Settings(security_headers=False),
    debug=True,
    middleware=[
        Middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True),
        Middleware(SessionMiddleware, secure=False, httponly=False, samesite="lux"),
        Middleware(CSRFMiddleware, cookie_secure=False),
    ],
)


@app.get("/")
async def index(request):
    return "hello"

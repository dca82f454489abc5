"""BlackSheep, as TFB's ``blacksheep`` entry writes it: module-level route decorators, msgspec JSON."""

import blacksheep as bs
import msgspec

ENCODER = msgspec.json.Encoder()
JSON_CONTENT_TYPE = b"application/json"

app = bs.Application()


def jsonify(data, status=200, headers=None):
    return bs.Response(
        status=status,
        headers=headers,
        content=bs.Content(content_type=JSON_CONTENT_TYPE, data=ENCODER.encode(data)),
    )


@bs.get("/json")
async def json_test(request):
    return jsonify({"message": "Hello, World!"})


@bs.get("/plaintext")
async def plaintext_test(request):
    return bs.Response(200, content=bs.Content(b"text/plain", b"Hello, World!"))

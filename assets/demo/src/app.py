"""The demo Python app: serialises a dict with ujson, a package that is only a C extension module."""

import ujson

print(ujson.dumps({"archlens": "demo"}))

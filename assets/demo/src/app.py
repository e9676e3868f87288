"""The demo Python app: escapes a string with markupsafe, whose C speedups module is the native part."""

from markupsafe import escape

print(escape("<archlens demo>"))

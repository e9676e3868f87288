#!/bin/sh
# The usual shape of an image's entrypoint script: set up, then hand over to the real program.
set -e
exec /usr/local/bin/server "$@"

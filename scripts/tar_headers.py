#!/usr/bin/env python3
"""List every tar header of every layer of a docker-archive, seeking over the file data (never reading it).

A header-only reference for scripts/bench.sh: the least work any layer reader can do (dive reads the headers
and also hashes each file's bytes, so it does more). Prints the number of layers and entries.

Usage: python3 scripts/tar_headers.py ARCHIVE.tar
"""

from __future__ import annotations

import json
import sys
import tarfile


def main() -> None:
    entries = 0
    with tarfile.open(sys.argv[1], mode="r:") as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        layers = [name for image in manifest for name in image["Layers"]]
        for name in layers:
            # extractfile gives a seekable view of the member: tarfile seeks from header to header.
            with tarfile.open(fileobj=outer.extractfile(name), mode="r:") as layer:
                for _ in layer:
                    entries += 1
    print(f"{len(layers)} layers, {entries} entries")


if __name__ == "__main__":
    main()

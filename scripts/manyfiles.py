#!/usr/bin/env python3
"""Write an OCI layout of one gzip layer holding N small files plus one real ELF (/bin/true as /app/true).

Used by scripts/bench.sh to measure memory per file. Files go 1,000 to a directory (/data/dNNNN/fNNNNNN.txt), each
a few bytes; the image's entrypoint is the ELF, so inspect and check have a real verdict to reach.

Usage: python3 scripts/manyfiles.py N OUT_LAYOUT_DIR
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ocibuild  # noqa: E402

EPOCH = 1735689600
PER_DIR = 1000


def info(name: str, kind: bytes, size: int = 0, mode: int = 0o644) -> tarfile.TarInfo:
    t = tarfile.TarInfo(name)
    t.type, t.size, t.mode, t.mtime = kind, size, mode, EPOCH
    t.uname = t.gname = ""
    return t


def write_layer(layout: ocibuild.Layout, n: int) -> ocibuild.Layer:
    raw = layout.tempfile()
    with raw.open("wb") as f:
        diff = ocibuild.HashingWriter(f)
        with tarfile.open(fileobj=diff, mode="w|", format=tarfile.GNU_FORMAT) as tar:
            elf = Path("/bin/true").read_bytes()
            tar.addfile(info("app/", tarfile.DIRTYPE, mode=0o755))
            tar.addfile(info("app/true", tarfile.REGTYPE, len(elf), 0o755), io.BytesIO(elf))
            tar.addfile(info("data/", tarfile.DIRTYPE, mode=0o755))
            for i in range(n):
                if i % PER_DIR == 0:
                    tar.addfile(info(f"data/d{i // PER_DIR:04d}/", tarfile.DIRTYPE, mode=0o755))
                body = b"%d\n" % i
                tar.addfile(info(f"data/d{i // PER_DIR:04d}/f{i:07d}.txt", tarfile.REGTYPE, len(body)), io.BytesIO(body))
    diff_id = diff.digest()
    blob = layout.tempfile()
    with raw.open("rb") as src, blob.open("wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=1) as gz:
            while chunk := src.read(1 << 20):
                gz.write(chunk)
    raw.unlink()
    digest, size = ocibuild.hash_file(blob), blob.stat().st_size
    layout.adopt_file(blob, digest)
    return ocibuild.Layer(ocibuild.Descriptor(ocibuild.MT_LAYER["gzip"], digest, size), diff_id, f"COPY {n} files /data")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    n, out = int(argv[1]), Path(argv[2])
    layout = ocibuild.Layout(out)
    layout.reset()
    layers = {"files": write_layer(layout, n)}
    image = {"platform": "linux/amd64", "layers": ["files"], "config": {"Entrypoint": ["/app/true"]}}
    desc = ocibuild.build_image(layout, "files", image, layers, EPOCH)
    layout.refs.append(desc.to_json(annotations={ocibuild.REF_NAME: "files"}))
    layout.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

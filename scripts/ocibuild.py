#!/usr/bin/env python3
"""Build OCI image layouts from directory trees, deterministically, with nothing but Python 3.11's stdlib.

Used to make archlens's demo images (scripts/build-demo.sh) and its test images (scripts/fixtures/images.sh)
without Docker. Zstd layers need the `zstd` command-line tool.

Usage:
    python3 scripts/ocibuild.py build SPEC.json --out LAYOUT_DIR
    python3 scripts/ocibuild.py verify LAYOUT_DIR

A spec is JSON. Relative tree paths in it are resolved against --base (default: the spec file's directory).

    {
      "epoch": 1735689600,                 # mtime of every tar entry and the configs' "created"
                                           # (SOURCE_DATE_EPOCH overrides it; default 0)
      "layers": {
        "base": {"tree": "stage/base",     # a directory that is the layer's root "/"
                 "compression": "gzip",    # "gzip" (default), "zstd" or "none"
                 "level": 9,               # optional: gzip level (default 9) or zstd level (default 19)
                 "created_by": "COPY rootfs /",
                 "whiteouts": ["/etc/old"],  # optional: emit /etc/.wh.old
                 "opaque": ["/var/cache"]}   # optional: emit /var/cache/.wh..wh..opq
      },
      "images": {
        "app-amd64": {"platform": "linux/amd64",        # os/arch[/variant]
                      "layers": ["base"],
                      "config": {"Entrypoint": ["/app"], "Cmd": [], "Env": ["PATH=/bin"],
                                 "WorkingDir": "/", "Labels": {}},
                      "history": ["ENTRYPOINT [\"/app\"]"],   # extra empty-layer history steps
                      "annotations": {}}
      },
      "indexes": {
        "app": {"manifests": ["app-amd64"],
                "attestations": true,      # add a BuildKit-style provenance manifest per image
                "annotations": {}}
      },
      "refs": {"app": "app", "app-amd64": "app-amd64"}   # ref name -> image or index name
    }

Output is reproducible: tar entries sorted by path, uid/gid 0 with empty owner names, one mtime, gzip headers
without name or time. `build` replaces the layout's `blobs/`, `index.json` and `oci-layout` and leaves any
other files in the output directory alone (assets/demo keeps its README and sources beside the layout).
Formats: OCI image-spec v1.1 (image-layout.md, manifest.md, image-index.md, config.md, layer.md) and
BuildKit's attestation storage (docs/attestations/attestation-storage.md in moby/buildkit).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
MT_IN_TOTO = "application/vnd.in-toto+json"
REF_NAME = "org.opencontainers.image.ref.name"
CHUNK = 1 << 20


class SpecError(Exception):
    """The spec or one of the trees it names is unusable; the message says which and why."""


class HashingWriter:
    """A write-only file that hashes and counts what passes through, so blobs are digested while streamed."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        self.sink.write(data)
        return len(data)

    def flush(self) -> None:
        self.sink.flush()

    def digest(self) -> str:
        return "sha256:" + self.hash.hexdigest()


@dataclass
class Descriptor:
    media_type: str
    digest: str
    size: int

    def to_json(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        out.update({k: v for k, v in extra.items() if v})
        return out


@dataclass
class Layer:
    descriptor: Descriptor
    diff_id: str
    created_by: str


class Layout:
    """An OCI image layout being written: content-addressed blobs plus the ref names of index.json."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.refs: list[dict[str, Any]] = []

    def reset(self) -> None:
        shutil.rmtree(self.root / "blobs", ignore_errors=True)
        for name in ("index.json", "oci-layout"):
            (self.root / name).unlink(missing_ok=True)
        self.blobs.mkdir(parents=True)

    def put_bytes(self, data: bytes, media_type: str) -> Descriptor:
        digest = hash_bytes(data)
        path = self.blobs / digest.removeprefix("sha256:")
        if not path.exists():
            path.write_bytes(data)
        return Descriptor(media_type, digest, len(data))

    def put_json(self, doc: dict[str, Any], media_type: str) -> Descriptor:
        # Compact, key order as written: the digest covers these exact bytes.
        return self.put_bytes(json.dumps(doc, separators=(",", ":")).encode(), media_type)

    def adopt_file(self, tmp: Path, digest: str) -> None:
        final = self.blobs / digest.removeprefix("sha256:")
        if final.exists():
            tmp.unlink()
        else:
            tmp.chmod(0o644)  # mkstemp made it private; blobs are meant to be read by anyone
            tmp.replace(final)

    def tempfile(self) -> Path:
        fd, name = tempfile.mkstemp(dir=self.blobs, prefix=".tmp-")
        os.close(fd)
        return Path(name)

    def finish(self) -> None:
        (self.root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}) + "\n")
        index = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": self.refs}
        (self.root / "index.json").write_text(json.dumps(index, indent=2) + "\n")


def parse_platform(text: str) -> dict[str, str]:
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise SpecError(f"platform {text!r} is not os/arch or os/arch/variant (e.g. linux/arm/v7)")
    out = {"architecture": parts[1], "os": parts[0]}
    if len(parts) == 3:
        out["variant"] = parts[2]
    return out


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def hash_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tree_entries(tree: Path) -> list[tuple[str, Path]]:
    """Every path under `tree` as (name in the layer, path on disk), parents first, siblings sorted."""
    out: list[tuple[str, Path]] = []

    def walk(dir_path: Path, prefix: str) -> None:
        for child in sorted(dir_path.iterdir(), key=lambda p: p.name):
            name = f"{prefix}{child.name}"
            out.append((name, child))
            if child.is_dir() and not child.is_symlink():
                walk(child, name + "/")

    walk(tree, "")
    return out


def tar_info(name: str, path: Path, epoch: int) -> tarfile.TarInfo:
    st = path.lstat()
    info = tarfile.TarInfo(name)
    info.mtime = epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        info.mode = 0o777
    elif stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISREG(st.st_mode):
        info.type = tarfile.REGTYPE
        info.size = st.st_size
    else:
        raise SpecError(f"{path}: only files, directories and symlinks can go in a layer")
    return info


def marker(name: str, epoch: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = epoch
    info.mode = 0o644
    info.uname = info.gname = ""
    return info


def write_tar(sink: HashingWriter, tree: Path, spec: dict[str, Any], epoch: int) -> None:
    entries: list[tuple[str, Path | None]] = list(tree_entries(tree))
    for path in spec.get("whiteouts", []):
        parent, _, base = path.strip("/").rpartition("/")
        entries.append((f"{parent}/.wh.{base}" if parent else f".wh.{base}", None))
    for path in spec.get("opaque", []):
        entries.append((f"{path.strip('/')}/.wh..wh..opq", None))
    # Sorting by components keeps parents before children and puts markers beside their siblings.
    entries.sort(key=lambda e: e[0].split("/"))
    # PAX only where a name needs it; tarfile writes plain ustar headers otherwise.
    with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for name, path in entries:
            if path is None:
                tar.addfile(marker(name, epoch))
                continue
            info = tar_info(name, path, epoch)
            if info.isreg():
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)


def build_layer(layout: Layout, name: str, spec: dict[str, Any], base: Path, epoch: int) -> Layer:
    tree = base / spec.get("tree", "")
    if "tree" not in spec or not tree.is_dir():
        raise SpecError(f"layer {name!r}: 'tree' must name a directory (got {tree})")
    compression = spec.get("compression", "gzip")
    if compression not in MT_LAYER:
        raise SpecError(f"layer {name!r}: compression {compression!r} is not one of {sorted(MT_LAYER)}")

    raw = layout.tempfile()
    with raw.open("wb") as f:
        diff = HashingWriter(f)
        write_tar(diff, tree, spec, epoch)
    diff_id = diff.digest()

    if compression == "none":
        blob, digest, size = raw, diff_id, diff.size
    else:
        blob = layout.tempfile()
        with raw.open("rb") as src, blob.open("wb") as out:
            if compression == "gzip":
                # filename="" and mtime=0 keep the gzip header free of anything that changes between runs.
                level = int(spec.get("level", 9))
                with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as gz:
                    shutil.copyfileobj(src, gz, CHUNK)
            elif shutil.which("zstd") is None:
                raise SpecError(f"layer {name!r}: zstd compression needs the zstd CLI (apt-get install zstd)")
            else:
                subprocess.run(["zstd", "-q", f"-{int(spec.get('level', 19))}", "-c"], stdin=src, stdout=out, check=True)
        raw.unlink()
        digest, size = hash_file(blob), blob.stat().st_size
    layout.adopt_file(blob, digest)
    created_by = spec.get("created_by", f"COPY {spec['tree']} /")
    return Layer(Descriptor(MT_LAYER[compression], digest, size), diff_id, created_by)


def build_image(layout: Layout, name: str, spec: dict[str, Any], layers: dict[str, Layer], epoch: int) -> Descriptor:
    platform = parse_platform(spec.get("platform", ""))
    chosen = []
    for layer_name in spec.get("layers", []):
        if layer_name not in layers:
            raise SpecError(f"image {name!r}: unknown layer {layer_name!r}")
        chosen.append(layers[layer_name])
    created = rfc3339(epoch)
    history: list[dict[str, Any]] = [{"created": created, "created_by": layer.created_by} for layer in chosen]
    history += [{"created": created, "created_by": step, "empty_layer": True} for step in spec.get("history", [])]
    config = {
        "created": created,
        **platform,
        "config": spec.get("config", {}),
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in chosen]},
        "history": history,
    }
    config_desc = layout.put_json(config, MT_CONFIG)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": config_desc.to_json(),
        "layers": [layer.descriptor.to_json() for layer in chosen],
    }
    if spec.get("annotations"):
        manifest["annotations"] = spec["annotations"]
    return layout.put_json(manifest, MT_MANIFEST)


def build_attestation(layout: Layout, subject: Descriptor, ref: str, platform: dict[str, str], epoch: int) -> Descriptor:
    """A provenance manifest shaped like BuildKit's: unknown/unknown config, one in-toto layer."""
    plat = "/".join(platform[k] for k in ("os", "architecture", "variant") if k in platform)
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [
            {
                "name": f"pkg:docker/archlens-demo/{ref}@latest?platform={plat.replace('/', '%2F')}",
                "digest": {"sha256": subject.digest.removeprefix("sha256:")},
            }
        ],
        "predicate": {
            "builder": {"id": ""},
            "buildType": "urn:archlens:ocibuild:v1",
            "metadata": {"buildFinishedOn": rfc3339(epoch), "reproducible": True},
        },
    }
    layer = layout.put_json(statement, MT_IN_TOTO)
    config = {
        "architecture": "unknown",
        "os": "unknown",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
    }
    config_desc = layout.put_json(config, MT_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": config_desc.to_json(),
        "layers": [layer.to_json(annotations={"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"})],
    }
    return layout.put_json(manifest, MT_MANIFEST)


def build(spec_path: Path, out: Path, base: Path | None = None) -> None:
    try:
        spec = json.loads(spec_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise SpecError(f"{spec_path}: cannot read the spec: {err}") from err
    base = base or spec_path.parent
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", spec.get("epoch", 0)))
    layout = Layout(out)
    layout.reset()

    layers = {name: build_layer(layout, name, ls, base, epoch) for name, ls in spec.get("layers", {}).items()}
    images = {name: build_image(layout, name, im, layers, epoch) for name, im in spec.get("images", {}).items()}
    platforms = {name: parse_platform(im["platform"]) for name, im in spec.get("images", {}).items()}

    indexes: dict[str, Descriptor] = {}
    for name, ix in spec.get("indexes", {}).items():
        if name in images:
            raise SpecError(f"index {name!r}: an image has the same name")
        entries, attestations = [], []
        for member in ix.get("manifests", []):
            if member not in images:
                raise SpecError(f"index {name!r}: unknown image {member!r}")
            entries.append(images[member].to_json(platform=platforms[member]))
            if ix.get("attestations"):
                att = build_attestation(layout, images[member], name, platforms[member], epoch)
                attestations.append(
                    att.to_json(
                        annotations={
                            "vnd.docker.reference.digest": images[member].digest,
                            "vnd.docker.reference.type": "attestation-manifest",
                        },
                        platform={"architecture": "unknown", "os": "unknown"},
                    )
                )
        doc: dict[str, Any] = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": entries + attestations}
        if ix.get("annotations"):
            doc["annotations"] = ix["annotations"]
        indexes[name] = layout.put_json(doc, MT_INDEX)

    for ref, target in spec.get("refs", {}).items():
        desc = indexes.get(target) or images.get(target)
        if desc is None:
            raise SpecError(f"ref {ref!r}: no image or index named {target!r}")
        layout.refs.append(desc.to_json(annotations={REF_NAME: ref}))
    layout.finish()


def verify(root: Path) -> list[str]:
    """Re-hash every blob reachable from index.json; return the problems found (empty when sound)."""
    problems: list[str] = []
    seen: set[str] = set()

    def check(desc: dict[str, Any], where: str) -> None:
        digest = desc.get("digest", "")
        if digest in seen:
            return
        seen.add(digest)
        path = root / "blobs" / "sha256" / digest.removeprefix("sha256:")
        if not path.is_file():
            problems.append(f"{where}: blob {digest} is missing")
            return
        if hash_file(path) != digest or path.stat().st_size != desc.get("size"):
            problems.append(f"{where}: blob {digest} does not match its digest or size")
            return
        if desc.get("mediaType") in (MT_INDEX, MT_MANIFEST):
            doc = json.loads(path.read_text())
            for child in doc.get("manifests", []):
                check(child, f"{where} > {child.get('digest', '?')[:19]}")
            if "config" in doc:
                check(doc["config"], f"{where} config")
            for layer in doc.get("layers", []):
                check(layer, f"{where} layer")

    index = json.loads((root / "index.json").read_text())
    for desc in index.get("manifests", []):
        check(desc, desc.get("annotations", {}).get(REF_NAME, desc.get("digest", "?")))
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a layout from a JSON spec")
    b.add_argument("spec", type=Path)
    b.add_argument("--out", type=Path, required=True, help="layout directory (created if missing)")
    b.add_argument("--base", type=Path, help="directory that relative layer trees are resolved against")
    v = sub.add_parser("verify", help="check every blob reachable from index.json against its digest")
    v.add_argument("layout", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            build(args.spec, args.out, args.base)
            return 0
        problems = verify(args.layout)
    except (SpecError, OSError, subprocess.CalledProcessError, json.JSONDecodeError, KeyError) as err:
        print(f"ocibuild: error: {err}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"ocibuild: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

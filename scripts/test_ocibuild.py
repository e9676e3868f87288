"""Tests for scripts/ocibuild.py: layouts are valid, reproducible, and carry what the spec asks for.

Run: python3 -m unittest discover -s scripts -p 'test_*.py'
"""

import gzip
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import ocibuild  # noqa: E402


class OciBuildTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp())
        root = self.tmp / "trees" / "app"
        (root / "usr/local/bin").mkdir(parents=True)
        (root / "usr/local/bin/server").write_bytes(b"\x7fELF fake payload")
        (root / "usr/local/bin/server").chmod(0o755)
        (root / "usr/local/bin/run").symlink_to("server")
        (root / "a-dir").mkdir()
        spec = {
            "epoch": 1735689600,
            "layers": {
                "app": {"tree": "app", "created_by": "COPY app /", "whiteouts": ["/etc/old"], "opaque": ["/var/cache"]},
                "app-z": {"tree": "app", "compression": "zstd"},
            },
            "images": {
                "amd": {"platform": "linux/amd64", "layers": ["app"], "config": {"Entrypoint": ["/usr/local/bin/run"]}},
                "arm": {"platform": "linux/arm/v7", "layers": ["app-z"], "history": ["CMD []"]},
            },
            "indexes": {"multi": {"manifests": ["amd", "arm"], "attestations": True}},
            "refs": {"multi": "multi", "single": "amd"},
        }
        self.spec = self.tmp / "spec.json"
        self.spec.write_text(json.dumps(spec))

    def tearDown(self) -> None:
        shutil.rmtree(self.tmp)

    def build(self, name: str = "out") -> Path:
        out = self.tmp / name
        ocibuild.build(self.spec, out, self.tmp / "trees")
        return out

    def blob(self, out: Path, digest: str) -> bytes:
        return (out / "blobs/sha256" / digest.removeprefix("sha256:")).read_bytes()

    def refs(self, out: Path) -> dict[str, dict]:
        index = json.loads((out / "index.json").read_text())
        return {m["annotations"][ocibuild.REF_NAME]: m for m in index["manifests"]}

    def test_two_builds_are_byte_identical(self) -> None:
        a, b = self.build("a"), self.build("b")
        self.assertEqual((a / "index.json").read_bytes(), (b / "index.json").read_bytes())
        self.assertEqual(sorted(p.name for p in (a / "blobs/sha256").iterdir()),
                         sorted(p.name for p in (b / "blobs/sha256").iterdir()))

    def test_layer_tar_is_normalised_and_has_whiteouts(self) -> None:
        out = self.build()
        manifest = json.loads(self.blob(out, self.refs(out)["single"]["digest"]))
        layer = manifest["layers"][0]
        self.assertEqual(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip")
        raw = gzip.decompress(self.blob(out, layer["digest"]))
        config = json.loads(self.blob(out, manifest["config"]["digest"]))
        self.assertEqual(config["rootfs"]["diff_ids"], [ocibuild.hash_bytes(raw)])
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            members = tar.getmembers()
        names = [m.name for m in members]
        self.assertEqual(names, ["a-dir", "etc/.wh.old", "usr", "usr/local", "usr/local/bin", "usr/local/bin/run",
                                 "usr/local/bin/server", "var/cache/.wh..wh..opq"])
        self.assertTrue(all(m.uid == 0 and m.gid == 0 and m.mtime == 1735689600 for m in members))
        run = members[names.index("usr/local/bin/run")]
        self.assertTrue(run.issym())
        self.assertEqual(run.linkname, "server")
        self.assertEqual(members[names.index("usr/local/bin/server")].mode, 0o755)
        self.assertEqual(config["architecture"], "amd64")
        self.assertEqual(config["config"]["Entrypoint"], ["/usr/local/bin/run"])

    def test_index_has_platforms_and_attestations(self) -> None:
        out = self.build()
        index = json.loads(self.blob(out, self.refs(out)["multi"]["digest"]))
        platforms = [m["platform"] for m in index["manifests"]]
        self.assertEqual(platforms[:2], [{"architecture": "amd64", "os": "linux"},
                                         {"architecture": "arm", "os": "linux", "variant": "v7"}])
        attestations = index["manifests"][2:]
        self.assertEqual(len(attestations), 2)
        for att, subject in zip(attestations, index["manifests"][:2]):
            self.assertEqual(att["platform"], {"architecture": "unknown", "os": "unknown"})
            self.assertEqual(att["annotations"]["vnd.docker.reference.type"], "attestation-manifest")
            self.assertEqual(att["annotations"]["vnd.docker.reference.digest"], subject["digest"])
            manifest = json.loads(self.blob(out, att["digest"]))
            self.assertEqual(manifest["layers"][0]["mediaType"], "application/vnd.in-toto+json")
            statement = json.loads(self.blob(out, manifest["layers"][0]["digest"]))
            self.assertEqual(statement["subject"][0]["digest"]["sha256"], subject["digest"].removeprefix("sha256:"))
        arm = json.loads(self.blob(out, index["manifests"][1]["digest"]))
        self.assertEqual(arm["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd")

    def test_verify_passes_then_catches_a_corrupt_blob(self) -> None:
        out = self.build()
        self.assertEqual(ocibuild.verify(out), [])
        layer = json.loads(self.blob(out, self.refs(out)["single"]["digest"]))["layers"][0]["digest"]
        (out / "blobs/sha256" / layer.removeprefix("sha256:")).write_bytes(b"corrupt")
        problems = ocibuild.verify(out)
        self.assertEqual(len(problems), 1)
        self.assertIn(layer, problems[0])

    def test_bad_spec_names_the_problem(self) -> None:
        spec = json.loads(self.spec.read_text())
        spec["images"]["amd"]["layers"] = ["nope"]
        self.spec.write_text(json.dumps(spec))
        with self.assertRaisesRegex(ocibuild.SpecError, "image 'amd': unknown layer 'nope'"):
            self.build()

    def test_skopeo_reads_the_layout(self) -> None:
        if shutil.which("skopeo") is None:
            self.fail("skopeo is needed for this test: apt-get install skopeo")
        out = self.build()
        for ref in ("multi", "single"):
            dest = self.tmp / f"copy-{ref}"
            subprocess.run(["skopeo", "copy", "-q", "--all", f"oci:{out}:{ref}", f"dir:{dest}"], check=True)
            self.assertTrue((dest / "manifest.json").is_file())


if __name__ == "__main__":
    unittest.main()

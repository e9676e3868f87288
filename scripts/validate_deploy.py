#!/usr/bin/env python3
"""Validates docs/deploy/ as far as a machine without a cluster or an AWS account allows.

- Kubernetes manifests against the Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown
  fields are errors), for the oldest version the manifests claim (1.29: backoffLimitPerIndex) and
  the newest the validator bundles;
- the AWS Batch JSON against botocore's service model (the input shapes of RegisterJobDefinition
  and SubmitJob, as `aws batch ... --cli-input-json` would send them);
- the IAM policies for syntax and with parliament (unknown actions, resource mismatches);
- the wiring between them: shard counts, the shard files the merges read, names and roles;
- the shard arithmetic: which shard each of a list of repositories lands in, computed here the way
  docs/deploy/README.md says, and, when the binary has `audit`, by `archlens audit --shard I/N`
  itself on a directory of local layouts.

Usage: validate_deploy.py [--archlens BIN] [--deploy DIR]. Run it with the Python of the venv scripts/test.sh
makes (target/deploy-venv); a missing module is an error that says how to install it.
"""

import argparse
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
VENV_HINT = (
    "run scripts/test.sh once (it makes target/deploy-venv), or by hand: python3 -m venv target/deploy-venv && "
    "target/deploy-venv/bin/pip install 'kubernetes-validate>=1.30' 'parliament>=1.6' 'botocore>=1.34'"
)
# The oldest Kubernetes the manifests are written for: Job.spec.backoffLimitPerIndex is beta in 1.29.
KUBE_OLDEST = "1.29.0"

failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}")


def ok(msg):
    print(f"ok   {msg}")


def need(module):
    try:
        return importlib.import_module(module)
    except ImportError:
        sys.exit(f"validate_deploy.py: the Python module {module!r} is missing; {VENV_HINT}")


def rel(p):
    return p.relative_to(ROOT) if p.is_relative_to(ROOT) else p


def shard_of(repository, count):
    """The first 8 bytes of SHA-256 of the name, big-endian, modulo N (README.md, "Shards")."""
    return int.from_bytes(hashlib.sha256(repository.encode()).digest()[:8], "big") % count


def load_kube():
    yaml = need("yaml")
    docs = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs[(doc["kind"], doc["metadata"]["name"])] = (path, doc)
    return docs


def check_kube_schemas(docs):
    kv = need("kubernetes_validate")
    for version in (KUBE_OLDEST, kv.latest_version()):
        for (kind, name), (path, doc) in docs.items():
            try:
                kv.validate(doc, version, strict=True)
                ok(f"{rel(path)}: {kind}/{name} matches the Kubernetes {version} schema (strict)")
            except kv.ValidationError as e:
                fail(f"{rel(path)}: {kind}/{name} against Kubernetes {version}: {e.message} at {list(e.path)}")
            except Exception as e:  # an unknown kind or version is a failure too, with its words
                fail(f"{rel(path)}: {kind}/{name} against Kubernetes {version}: {e}")


def arg_after(args, flag):
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == flag]


def shard_files(count):
    return [f"/results/audit-shard-{i}-of-{count}.jsonl" for i in range(count)]


def merge_inputs(args):
    """The files an `audit merge ...` argument list reads (the words between merge and the first flag)."""
    rest = args[args.index("merge") + 1:]
    files = []
    for a in rest:
        if a.startswith("--"):
            break
        files.append(a)
    return files


def check_kube_wiring(docs):
    job = docs.get(("Job", "archlens-audit"))
    merge = docs.get(("Job", "archlens-audit-merge"))
    sa = docs.get(("ServiceAccount", "archlens-audit"))
    pvc = docs.get(("PersistentVolumeClaim", "archlens-results"))
    if not (job and merge and sa and pvc):
        fail("kubernetes/: expected Job archlens-audit, Job archlens-audit-merge, ServiceAccount and PVC archlens-*")
        return None
    spec = job[1]["spec"]
    pod = spec["template"]["spec"]
    args = pod["containers"][0]["args"]
    count = spec.get("completions")
    if spec.get("completionMode") != "Indexed":
        fail("audit-job.yaml: completionMode must be Indexed (JOB_COMPLETION_INDEX is set only then)")
    if arg_after(args, "--shard") != [f"auto/{count}"]:
        fail(f"audit-job.yaml: --shard {arg_after(args, '--shard')} does not match completions {count} (want auto/{count})")
    else:
        ok(f"audit-job.yaml: {count} indexed completions, --shard auto/{count}")
    if not 1 <= spec.get("parallelism", 1) <= count:
        fail("audit-job.yaml: parallelism must be between 1 and completions")
    if arg_after(args, "--out") != ["/results/"]:
        fail("audit-job.yaml: --out must be the shared directory /results/ (a trailing / makes it a directory)")
    if pod.get("serviceAccountName") != sa[1]["metadata"]["name"]:
        fail("audit-job.yaml: serviceAccountName is not the ServiceAccount of serviceaccount.yaml")
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for p in (pod, merge[1]["spec"]["template"]["spec"])
        for v in p["volumes"]
        if "persistentVolumeClaim" in v
    }
    if claims != {pvc[1]["metadata"]["name"]}:
        fail(f"the audit and merge Jobs must mount the one claim {pvc[1]['metadata']['name']}: {claims}")
    if "ReadWriteMany" not in pvc[1]["spec"]["accessModes"]:
        fail("storage.yaml: the results claim must be ReadWriteMany (all shards write to it at once)")
    margs = merge[1]["spec"]["template"]["spec"]["containers"][0]["args"]
    if merge_inputs(margs) != shard_files(count):
        fail(f"merge-job.yaml: merges {merge_inputs(margs)}, not the {count} shard files")
    else:
        ok(f"merge-job.yaml: merges exactly the {count} shard files")
    role = sa[1]["metadata"].get("annotations", {}).get("eks.amazonaws.com/role-arn", "")
    if not role.startswith("arn:aws:iam::"):
        fail("serviceaccount.yaml: eks.amazonaws.com/role-arn must name an IAM role (IRSA)")
    return sa[1]["metadata"]


def check_batch():
    botocore_session = need("botocore.session")
    validate = need("botocore.validate")
    model = botocore_session.get_session().get_service_model("batch")
    loaded = {}
    for name, op in (
        ("job-definition.json", "RegisterJobDefinition"),
        ("submit-audit.json", "SubmitJob"),
        ("submit-merge.json", "SubmitJob"),
    ):
        path = DEPLOY / "batch" / name
        params = json.loads(path.read_text())
        loaded[name] = params
        report = validate.ParamValidator().validate(params, model.operation_model(op).input_shape)
        if report.has_errors():
            fail(f"{rel(path)} is not valid {op} input: {report.generate_report()}")
        else:
            ok(f"{rel(path)} is valid {op} input (botocore {need('botocore').__version__})")
    jd, audit, merge = loaded["job-definition.json"], loaded["submit-audit.json"], loaded["submit-merge.json"]
    if jd.get("platformCapabilities") != ["FARGATE"]:
        fail("job-definition.json: platformCapabilities must be [FARGATE]")
    props = jd["containerProperties"]
    for key in ("jobRoleArn", "executionRoleArn"):
        if not props.get(key, "").startswith("arn:aws:iam::"):
            fail(f"job-definition.json: {key} must name an IAM role (Fargate pulls with the execution role)")
    if "Ref::shard" not in props["command"]:
        fail("job-definition.json: the command must take --shard from the parameter shard (Ref::shard)")
    if not any("efsVolumeConfiguration" in v for v in props.get("volumes", [])):
        fail("job-definition.json: the results volume must be EFS (shared by every child job)")
    count = audit.get("arrayProperties", {}).get("size")
    if not isinstance(count, int):
        fail(f"submit-audit.json: arrayProperties.size must be a number of shards, not {count!r}")
        count = 0
    if audit.get("parameters", {}).get("shard") != f"auto/{count}":
        fail(f"submit-audit.json: parameter shard {audit.get('parameters', {}).get('shard')!r} does not match arrayProperties.size {count}")
    else:
        ok(f"submit-audit.json: an array of {count}, --shard auto/{count}")
    if not 2 <= count <= 10000:
        fail("submit-audit.json: an array job has 2 to 10,000 children")
    deps = merge.get("dependsOn", [])
    if len(deps) != 1 or "type" in deps[0]:
        # SEQUENTIAL orders the children of one array; N_TO_N pairs children of two arrays.
        # A plain job that waits for a whole array names it with no type.
        fail("submit-merge.json: dependsOn must be one dependency on the array job, with no type")
    if "arrayProperties" in merge:
        fail("submit-merge.json: the merge is one job, not an array")
    cmd = merge.get("containerOverrides", {}).get("command", [])
    if merge_inputs(cmd) != shard_files(count):
        fail(f"submit-merge.json: merges {merge_inputs(cmd)}, not the {count} shard files")
    else:
        ok(f"submit-merge.json: depends on the array job and merges exactly its {count} shard files")


def expected_of_trust(finding):
    detail = str(finding.detail)
    return (finding.issue == "MALFORMED" and "neither Resource nor NotResource" in detail) or (
        finding.issue == "UNKNOWN_FEDERATION_SOURCE" and ":oidc-provider/oidc.eks." in detail
    )


def check_iam(service_account):
    parliament = need("parliament")
    for path in sorted((DEPLOY / "iam").glob("*.json")):
        text = path.read_text()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            fail(f"{rel(path)} is not JSON: {e}")
            continue
        if doc.get("Version") != "2012-10-17" or not doc.get("Statement"):
            fail(f"{rel(path)}: a policy needs Version 2012-10-17 and Statements")
            continue
        trust = all("Principal" in s for s in doc["Statement"])
        # parliament audits identity policies. A trust policy has no Resource by design, and
        # parliament's list of federation sources predates EKS's per-cluster OIDC providers.
        policy = parliament.analyze_policy_string(text, filepath=str(path))
        findings = [f for f in policy.findings if not (trust and expected_of_trust(f))]
        if findings:
            fail(f"{rel(path)}: parliament: " + "; ".join(f"{f.issue} {f.detail}" for f in findings))
        else:
            ok(f"{rel(path)}: parliament finds nothing" + (" (trust policy)" if trust else ""))
    read = json.loads((DEPLOY / "iam" / "ecr-read-policy.json").read_text())
    actions = {a for s in read["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    writes = {a for a in actions if not a.split(":")[1].startswith(("Get", "BatchGet", "Describe", "List"))}
    if writes:
        fail(f"ecr-read-policy.json grants more than reading: {sorted(writes)}")
    if service_account:
        sub = f"system:serviceaccount:{service_account['namespace']}:{service_account['name']}"
        irsa = (DEPLOY / "iam" / "trust-irsa.json").read_text()
        if sub not in irsa:
            fail(f"trust-irsa.json does not trust {sub}, the service account of kubernetes/serviceaccount.yaml")
        else:
            ok(f"trust-irsa.json trusts {sub}")


REPOSITORIES = ["api", "payments", "web-frontend", "team-a.worker", "batch_jobs", "auth", "search",
                "ml-inference", "cron", "gateway", "reports", "mailer"]


def check_shards(archlens):
    count = 3
    expected = {r: shard_of(r, count) for r in REPOSITORIES}
    spread = sorted(set(expected.values()))
    if spread != list(range(count)):
        fail(f"shard arithmetic: {len(REPOSITORIES)} repositories fill only shards {spread} of {count}")
    # Two values pinned by hand (printf %s api | sha256sum): the arithmetic must not drift.
    if (shard_of("api", 4), shard_of("payments", 7)) != (int("0x" + hashlib.sha256(b"api").hexdigest()[:16], 16) % 4,
                                                         int("0x" + hashlib.sha256(b"payments").hexdigest()[:16], 16) % 7):
        fail("shard arithmetic differs from the sha256sum shell line in README.md")
    ok("shard arithmetic: " + ", ".join(f"{r}->{s}" for r, s in sorted(expected.items())) + f" (of {count})")
    if not archlens:
        print("note the binary check of the shard split was not asked for (--archlens BIN)")
        return
    helped = subprocess.run([archlens, "--help"], capture_output=True, text=True)
    if " audit " not in helped.stdout and "\n  audit" not in helped.stdout:
        print(f"note {archlens} has no `audit` subcommand yet: the split is checked by arithmetic only")
        return
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        for r in REPOSITORIES:
            shutil.copytree(ROOT / "assets" / "demo", fleet / r, ignore=shutil.ignore_patterns("src", "README.md"))
        out = Path(tmp) / "out"
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        env.pop("JOB_COMPLETION_INDEX", None)
        got = {}
        for i in range(count):
            run = subprocess.run(
                [archlens, "audit", str(fleet), "--tags", "latest", "--target", "graviton",
                 "--shard", f"{i}/{count}", "--out", f"{out}/"],
                capture_output=True, text=True, env=env, timeout=300,
            )
            records = out / f"audit-shard-{i}-of-{count}.jsonl"
            if not records.exists():
                fail(f"archlens audit --shard {i}/{count} wrote no {records.name} (exit {run.returncode}): {run.stderr[-2000:]}")
                continue
            for line in records.read_text().splitlines():
                if line.strip():
                    rec = json.loads(line)
                    if "repository" in rec:
                        got.setdefault(rec["repository"], set()).add(i)
        for r, s in sorted(expected.items()):
            if got.get(r) != {s}:
                fail(f"archlens audit put {r} in shards {sorted(got.get(r, []))}, the arithmetic says {s}")
        if all(got.get(r) == {s} for r, s in expected.items()):
            ok(f"archlens audit --shard I/{count}: each of {len(REPOSITORIES)} repositories in exactly the shard computed here")
        # The merge step of both engines: the shard files, in the order the manifests list them.
        files = [str(out / f"audit-shard-{i}-of-{count}.jsonl") for i in range(count)]
        merged = Path(tmp) / "merged.jsonl"
        run = subprocess.run([archlens, "audit", "merge", *files, "--format", "jsonl", "--out", str(merged)],
                             capture_output=True, text=True, env=env, timeout=120)
        repos = sorted(json.loads(l)["repository"] for l in (merged.read_text().splitlines() if merged.exists() else [])
                       if l.strip() and "repository" in json.loads(l))
        if repos != sorted(REPOSITORIES):
            fail(f"archlens audit merge of the {count} shards lists {repos} (exit {run.returncode}): {run.stderr[-2000:]}")
        else:
            ok(f"archlens audit merge of the {count} shard files: each repository once")


def main():
    global DEPLOY
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archlens", help="the archlens binary, to check the shard split it makes")
    parser.add_argument("--deploy", type=Path, default=DEPLOY, help="the directory to check (default docs/deploy)")
    args = parser.parse_args()
    DEPLOY = args.deploy.resolve()
    docs = load_kube()
    check_kube_schemas(docs)
    sa = check_kube_wiring(docs)
    check_batch()
    check_iam(sa)
    check_shards(args.archlens)
    if failures:
        sys.exit(f"validate_deploy.py: {len(failures)} problem(s) in docs/deploy/ (FAIL lines above)")
    print("validate_deploy.py: docs/deploy/ is valid")


if __name__ == "__main__":
    main()

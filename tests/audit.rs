//! `archlens audit` end to end against a real docker-registry filled with a generated fleet
//! (support_registry/fleet.rs): one run versus four shards plus `audit merge`, a resume
//! after a kill, dedupe measured, verdicts equal to `check --json`, and the reports.

mod support_registry;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;
use support_registry::Registry;
use support_registry::fleet::{self, Fleet, HOSTILE, Kind};

const TARGETS: [&str; 6] = ["-t", "graviton", "-t", "apprunner", "-t", "lambda"];

struct Env {
    home: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let h = self.home.path();
        let mut c = Command::new(env!("CARGO_BIN_EXE_archlens"));
        c.args(args)
            .arg("--no-cache")
            .env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_CACHE_HOME", h.join("cache"))
            .env("DOCKER_CONFIG", h.join("docker"))
            .env_remove("ARCHLENS_CONFIG")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX");
        c
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().expect("run archlens");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "archlens {args:?} failed:\n{err}");
        (out, err)
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record per line"))
        .collect()
}

/// The bytes this run pulled, from its last stderr line.
fn pulled(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("archlens: this run read"))
        .unwrap_or_else(|| panic!("no summary line in {stderr}"));
    let rest = &line[line.find("pulled ").expect("pulled figure")..];
    let open = rest.find('(').expect("(") + 1;
    rest[open..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {rest}"))
}

fn find<'a>(recs: &'a [Value], fleet: &Fleet, kind: Kind) -> &'a Value {
    let img = fleet
        .images
        .iter()
        .find(|i| i.kind == kind)
        .expect("kind in fleet");
    recs.iter()
        .find(|r| r["digest"] == img.top.digest.as_str())
        .expect("record of the image")
}

#[test]
fn fleet_audit_shards_merge_resume_dedupe_and_match_check() {
    let reg = Registry::start(None);
    let t0 = Instant::now();
    let fleet = fleet::push_fleet(&reg.addr, None, 20, 10);
    eprintln!(
        "pushed {} tags in {} repositories in {:?}",
        fleet.tags,
        fleet.repositories.len(),
        t0.elapsed()
    );
    assert!(fleet.tags >= 200, "a few hundred tags");
    let env = Env::new();
    let work = tempfile::tempdir().expect("tempdir");
    let dir = |n: &str| format!("{}/{n}/", work.path().display());
    let audit = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["audit", &reg.addr, "--tags", "all"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(TARGETS.iter().map(|s| s.to_string()));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    // One run.
    let t = Instant::now();
    let single = audit(&["--out", &dir("single")]);
    let (_, err) = env.ok(&refs(&single));
    eprintln!("single run: {:?}", t.elapsed());
    let single_file = PathBuf::from(dir("single")).join("audit.jsonl");
    let recs = records(&single_file);
    // Tags of one digest are one record: 12 version tags per repository, latest shared.
    assert_eq!(recs.len(), fleet.images.len(), "{err}");
    let last = &fleet.images[fleet.images.len() - 1];
    let rec = recs
        .iter()
        .find(|r| r["digest"] == last.top.digest.as_str())
        .expect("last record");
    assert_eq!(rec["tags"], serde_json::json!(["latest", "v1.10"]));
    // Dedupe: the base layers were pulled once for the whole fleet.
    let sum: u64 = recs.iter().map(|r| r["size"].as_u64().unwrap_or(0)).sum();
    let got = pulled(&err);
    eprintln!("pulled {got} bytes of {sum} listed");
    assert!(got > 0 && got * 10 < sum, "pulled {got} of {sum}:\n{err}");
    assert!(err.contains("graviton (linux/arm64):"), "{err}");

    // Four shards in parallel, then merge: the same bytes.
    let t = Instant::now();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let s = format!("{i}/4");
            let a = audit(&["--shard", &s, "--out", &dir("shards")]);
            env.cmd(&refs(&a))
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn shard")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait shard").success());
    }
    eprintln!("4 shards: {:?}", t.elapsed());
    let mut shard_files = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..4 {
        let f = PathBuf::from(dir("shards")).join(format!("audit-shard-{i}-of-4.jsonl"));
        for r in records(&f) {
            let repo = r["repository"].as_str().expect("repository").to_string();
            assert_eq!(
                archlens::audit::shard_of(&repo, 4),
                i,
                "{repo} in the wrong shard"
            );
            seen.insert(repo);
        }
        shard_files.push(f.display().to_string());
    }
    assert_eq!(
        seen.len(),
        fleet.repositories.len(),
        "every repository in one shard"
    );
    let merged = work.path().join("merged.jsonl");
    let mut m = vec!["audit", "merge"];
    m.extend(shard_files.iter().map(String::as_str));
    m.extend(["--out", merged.to_str().expect("utf8")]);
    env.ok(&m);
    assert_eq!(
        std::fs::read(&merged).expect("merged"),
        std::fs::read(&single_file).expect("single"),
        "merged shards differ from the single run"
    );
    // Reports from the merge and from the single run are the same too.
    let report = |files: &[&str], format: &str| {
        let mut a = vec!["audit", "merge"];
        a.extend(files);
        a.extend(["--format", format]);
        env.ok(&a).0
    };
    let shard_refs: Vec<&str> = shard_files.iter().map(String::as_str).collect();
    let single_ref = single_file.to_str().expect("utf8");
    let html = report(&[single_ref], "html");
    assert_eq!(html, report(&shard_refs, "html"));

    // Verdicts are check's, for one image of each kind.
    for kind in [Kind::Amd64, Kind::Arm64, Kind::Multi, Kind::ForeignAddon] {
        let r = find(&recs, &fleet, kind);
        let reference = r["reference"].as_str().expect("reference");
        let mut a = vec!["check", reference, "--format", "json"];
        a.extend(TARGETS);
        let (_, out, err) = env.run(&a);
        let check: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        let results = r["results"].as_array().expect("results");
        let want = check["results"].as_array().expect("check results");
        assert_eq!(results.len(), want.len());
        for (got, want) in results.iter().zip(want) {
            for k in ["target", "verdict", "predicted_error"] {
                assert_eq!(got[k], want[k], "{kind:?} {k}: {got} vs {want}");
            }
            let codes = |v: &Value, k: &str| -> Vec<Value> {
                v["findings"]
                    .as_array()
                    .map(|f| f.iter().map(|f| f[k].clone()).collect())
                    .unwrap_or_default()
            };
            assert_eq!(codes(got, "code"), codes(want, "code"), "{kind:?}");
            assert_eq!(codes(got, "path"), codes(want, "path"), "{kind:?}");
            assert_eq!(codes(got, "fix"), codes(want, "fix"), "{kind:?}");
        }
    }
    // The foreign addon fails Graviton, naming the file.
    let foreign = find(&recs, &fleet, Kind::ForeignAddon);
    let g = &foreign["results"][0];
    assert_eq!(g["target"], "graviton");
    assert_eq!(g["verdict"], "fail", "{g}");
    assert!(
        g["findings"][0]["path"]
            .as_str()
            .is_some_and(|p| p.contains(HOSTILE)),
        "{g}"
    );

    // What a user reads: counts, the culprit path (escaped), the fix.
    let graviton_fail = recs
        .iter()
        .filter(|r| r["results"][0]["verdict"] == "fail")
        .count();
    let md = report(&[single_ref], "markdown");
    let row = md
        .lines()
        .find(|l| l.starts_with("| graviton | linux/arm64 |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(row.contains(&format!("| {graviton_fail} |")), "{row}");
    assert!(
        md.contains("native module without a build for the CPU: npm &lt;svg onload=alert(1)&gt;"),
        "{md}"
    );
    assert!(!md.contains(HOSTILE), "unescaped in markdown");
    assert!(html.contains("&lt;svg onload=alert(1)&gt;") && !html.contains(HOSTILE));
    assert!(
        html.contains("<svg width=\"400\"")
            && !html.contains("http://")
            && !html.contains("https://")
    );
    assert!(
        html.contains(&format!("<td class=\"n\">{graviton_fail}</td>")),
        "graviton fail count"
    );

    // Resume: kill a run part way, run it again, get the uninterrupted run's file.
    let resume_dir = dir("resume");
    let a = audit(&["--out", &resume_dir]);
    let mut child = env
        .cmd(&refs(&a))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut n = 0;
    for l in lines {
        if l.expect("stderr line").starts_with("archlens: audit ") {
            n += 1;
        }
        if n == 60 {
            break;
        }
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let file = PathBuf::from(&resume_dir).join("audit.jsonl");
    let before = std::fs::read_to_string(&file).expect("partial file");
    let whole = before
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_ok())
        .count();
    assert!(
        whole >= 50 && whole < recs.len(),
        "{whole} records before the kill"
    );
    let (_, err) = env.ok(&refs(&a));
    assert!(err.contains(&format!("({whole} resumed")), "{err}");
    assert_eq!(
        std::fs::read(&file).expect("resumed"),
        std::fs::read(&single_file).expect("single"),
        "resumed output differs from an uninterrupted run"
    );

    // Ctrl-C: the images in flight finish, the file stays valid, the run says how to go on
    // and exits 130; the same command then completes it to the uninterrupted run's bytes.
    let int_dir = dir("interrupt");
    let a = audit(&["--out", &int_dir]);
    let mut child = env
        .cmd(&refs(&a))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut n = 0;
    for l in lines.by_ref() {
        if l.expect("stderr line").starts_with("archlens: audit ") {
            n += 1;
        }
        if n == 20 {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    // Read on, so the run is never blocked on a full pipe while it finishes.
    let rest: Vec<String> = lines.map(|l| l.expect("stderr line")).collect();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let file = PathBuf::from(&int_dir).join("audit.jsonl");
    let kept = records(&file);
    assert!(
        kept.len() >= 20 && kept.len() < recs.len(),
        "{} records after Ctrl-C",
        kept.len()
    );
    let said = format!(
        "interrupted: {} of {} images recorded in {}; run the same command again to continue",
        kept.len(),
        recs.len(),
        file.display()
    );
    assert!(rest.contains(&said), "{said}\n{rest:?}");
    let (_, err) = env.ok(&refs(&a));
    assert!(err.contains(&format!("({} resumed", kept.len())), "{err}");
    assert_eq!(
        std::fs::read(&file).expect("resumed"),
        std::fs::read(&single_file).expect("single"),
        "the run continued after Ctrl-C differs from an uninterrupted run"
    );

    // A byte budget: the first image is read, the rest named as left unread.
    let budget = dir("budget");
    let a = audit(&["--repos", "team0/*", "--max-bytes", "1", "--out", &budget]);
    let (_, err) = env.ok(&refs(&a));
    let b = records(&PathBuf::from(&budget).join("audit.jsonl"));
    // Images are read four at a time, so the budget stops the run after the first four.
    let unread = b.iter().filter(|r| r["status"] == "unread").count();
    assert!(
        unread >= b.len() - 4 && unread > 0,
        "{unread} of {}: {err}",
        b.len()
    );
    assert!(err.contains(&format!("{unread} left unread")), "{err}");
    let md = report(
        &[PathBuf::from(&budget)
            .join("audit.jsonl")
            .to_str()
            .expect("utf8")],
        "markdown",
    );
    assert!(md.contains("## Left unread (--max-bytes)"), "{md}");
}

/// 300 commit-hash tags listed before `latest` (the proxy answers `/tags/list` in that
/// order, as registries may): the audit chooses tags by name from the whole list, and says
/// so when `all` is cut at the cap.
#[test]
fn latest_is_found_past_the_first_200_tags_and_a_cut_is_said() {
    let reg = Registry::start(None);
    let images = fleet::push_commits(&reg.addr, 0, 300);
    let latest = images.last().expect("pushed");
    assert_eq!(latest.tags.last().map(String::as_str), Some("latest"));
    let listed: Vec<&String> = images.iter().flat_map(|i| &i.tags).collect();
    let proxy = support_registry::Proxy::start(&reg.addr);
    let body = serde_json::json!({"name": latest.repository, "tags": listed}).to_string();
    let json = vec![("Content-Type".to_string(), "application/json".to_string())];
    let order = support_registry::Fault::Respond(200, json, body);
    proxy.add("/tags/list", order, None);
    let env = Env::new();
    let work = tempfile::tempdir().expect("tempdir");
    let out = format!("{}/latest/", work.path().display());
    let mut a = vec!["audit", &proxy.addr, "--tags", "latest", "--out", &out];
    a.extend(TARGETS);
    let (_, err) = env.ok(&a);
    let recs = records(&PathBuf::from(&out).join("audit.jsonl"));
    assert_eq!(recs.len(), 1, "{err}");
    assert_eq!(recs[0]["digest"], latest.top.digest.as_str(), "{err}");
    assert_eq!(recs[0]["tags"], serde_json::json!(["latest"]));

    let out = format!("{}/all/", work.path().display());
    let mut a = vec!["audit", &proxy.addr, "--tags", "all", "--max-bytes", "1"];
    a.extend(["--out", &out]);
    a.extend(TARGETS);
    let (_, err) = env.ok(&a);
    assert!(
        err.contains("note: team0/svc-00: 301 tags selected; only the 200 highest"),
        "{err}"
    );
    // 200 tags read; `latest` and its hash are one image when both are among them.
    let n = records(&PathBuf::from(&out).join("audit.jsonl")).len();
    assert!((199..=200).contains(&n), "{n} records");
}

/// An OCI layout naming one digest under two ref names: one image, assessed once, whose
/// record lists both tags, in the stream as in the report.
#[test]
fn a_layout_digest_under_two_ref_names_is_one_record_with_both() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("demo");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let ok = Command::new("cp")
        .arg("-r")
        .arg(&demo)
        .arg(&dir)
        .status()
        .expect("cp");
    assert!(ok.success());
    let index_path = dir.join("index.json");
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(&index_path).expect("index")).expect("json");
    let manifests = index["manifests"].as_array_mut().expect("manifests");
    let mut again = manifests[0].clone();
    let digest = again["digest"].as_str().expect("digest").to_string();
    let first = again["annotations"]["org.opencontainers.image.ref.name"].clone();
    again["annotations"]["org.opencontainers.image.ref.name"] = "again".into();
    manifests.push(again);
    let listed = manifests.len() - 1;
    std::fs::write(&index_path, serde_json::to_vec(&index).expect("json")).expect("write");

    let env = Env::new();
    let d = dir.to_str().expect("utf8");
    let (code, out, err) = env.run(&["audit", d, "--tags", "all", "-t", "graviton"]);
    assert!(code == 0 || code == 1, "{err}");
    let recs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record per line"))
        .collect();
    assert_eq!(recs.len(), listed, "one record per digest:\n{out}");
    let same: Vec<&Value> = recs
        .iter()
        .filter(|r| r["digest"] == digest.as_str())
        .collect();
    assert_eq!(same.len(), 1, "{out}");
    assert_eq!(same[0]["tags"], serde_json::json!(["again", first]));
    assert!(
        err.contains(&format!("this run read {listed} new images")),
        "{err}"
    );
}

/// Every layer of the fleet's pushed manifests: its size, and how many images use it.
fn fleet_layers(fleet: &Fleet) -> std::collections::BTreeMap<String, (u64, usize)> {
    let mut layers = std::collections::BTreeMap::<String, (u64, usize)>::new();
    for img in &fleet.images {
        let manifests = if img.children.is_empty() {
            vec![&img.top]
        } else {
            img.children.iter().collect()
        };
        for m in manifests {
            let v: Value = serde_json::from_slice(&m.bytes).expect("manifest json");
            for l in v["layers"].as_array().expect("layers") {
                let d = l["digest"].as_str().expect("digest").to_string();
                let e = layers.entry(d).or_default();
                e.0 = l["size"].as_u64().expect("size");
                e.1 += 1;
            }
        }
    }
    layers
}

/// Images read four at a time share base layers: each layer is fetched once, and the bytes
/// pulled the run reports are the sizes of the layer blobs the registry actually served.
#[test]
fn each_shared_layer_is_fetched_once_and_pulled_counts_what_was_fetched() {
    let reg = Registry::start(None);
    let fleet = fleet::push_fleet(&reg.addr, None, 4, 3);
    let proxy = support_registry::Proxy::start(&reg.addr);
    let layers = fleet_layers(&fleet);
    // A shared layer answers slowly, so the images of a batch all ask while it is in flight.
    for (d, _) in layers.iter().filter(|(_, (_, n))| *n > 1) {
        let slow = support_registry::Fault::Delay(std::time::Duration::from_millis(700));
        proxy.add(&format!("/blobs/{d}"), slow, None);
    }
    let env = Env::new();
    let mut a = vec!["audit", &proxy.addr, "--tags", "all", "--format", "jsonl"];
    a.extend(TARGETS);
    let (code, out, err) = env.run(&a);
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(out.lines().count(), fleet.images.len(), "{err}");
    let mut fetched = std::collections::BTreeMap::<String, usize>::new();
    for s in proxy.seen() {
        let Some((_, d)) = s.path.split_once("/blobs/") else {
            continue;
        };
        if s.method == "GET" && layers.contains_key(d) {
            *fetched.entry(d.to_string()).or_default() += 1;
        }
    }
    let again: Vec<_> = fetched.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "layers fetched more than once: {again:?}");
    let bytes: u64 = fetched.keys().map(|d| layers[d].0).sum();
    assert!(fetched.len() > 3, "{fetched:?}");
    assert_eq!(pulled(&err), bytes, "{err}");
}

#[test]
fn a_shared_layer_that_breaks_mid_download_fails_its_images_without_a_wait() {
    let reg = Registry::start(None);
    let fleet = fleet::push_fleet(&reg.addr, None, 4, 3);
    let proxy = support_registry::Proxy::start(&reg.addr);
    let layers = fleet_layers(&fleet);
    // Every shared layer's connection closes after 100 bytes, every time: the image that
    // claimed it fails, and the others must try it themselves at once, not wait for a claim
    // that will never be put (nor an image for its own).
    let shared: Vec<&String> = layers
        .iter()
        .filter(|(_, (_, n))| *n > 1)
        .map(|(d, _)| d)
        .collect();
    assert!(!shared.is_empty());
    for d in &shared {
        proxy.add(
            &format!("/blobs/{d}"),
            support_registry::Fault::Cut(100),
            None,
        );
    }
    let env = Env::new();
    let mut a = vec!["audit", &proxy.addr, "--tags", "all", "--format", "jsonl"];
    a.extend(TARGETS);
    let mut child = env
        .cmd(&a)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run archlens");
    // Generous: the fixed run takes seconds; a claim left held made images wait 600 s.
    let t = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t.elapsed().as_secs() > 240 {
            let _ = child.kill();
            panic!("audit still running after 240 s: an image waits on a layer claim");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("output");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let recs: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    assert_eq!(recs.len(), fleet.images.len(), "{stderr}");
    let errors = recs
        .iter()
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["verdict"] == "error")
        .count();
    assert!(errors > 0, "a broken layer reads as error: {stdout}");
}

#[test]
fn shard_arguments_are_checked_before_anything_is_read() {
    let env = Env::new();
    let (code, _, err) = env.run(&["audit", "127.0.0.1:9", "--shard", "4/4"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("out of range") && err.contains("0 to 3"),
        "{err}"
    );
    let (code, _, err) = env.run(&["audit", "127.0.0.1:9", "--shard", "auto/4"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("JOB_COMPLETION_INDEX") && err.contains("AWS_BATCH_JOB_ARRAY_INDEX"),
        "{err}"
    );
}

/// `scripts/bench.sh` runs this (release build): images per second and bytes pulled for a
/// generated registry of 400 images sharing base layers.
#[test]
#[ignore = "a benchmark: scripts/bench.sh runs it"]
fn bench_fleet_audit() {
    let reg = Registry::start(None);
    let fleet = fleet::push_fleet(&reg.addr, None, 40, 10);
    let env = Env::new();
    let out = tempfile::tempdir().expect("tempdir");
    let dir = format!("{}/", out.path().display());
    let t = Instant::now();
    let mut a = vec!["audit", &reg.addr, "--tags", "all", "--out", &dir];
    a.extend(TARGETS);
    let (_, err) = env.ok(&a);
    let secs = t.elapsed().as_secs_f64();
    let recs = records(&out.path().join("audit.jsonl"));
    assert_eq!(recs.len(), fleet.images.len());
    let sum: u64 = recs.iter().map(|r| r["size"].as_u64().unwrap_or(0)).sum();
    let got = pulled(&err);
    println!(
        "audit fleet: {} images ({} tags, {} repositories, 3 targets) in {secs:.2} s: {:.1} images/s; pulled {got} bytes of {sum} ({:.2}%)",
        recs.len(),
        fleet.tags,
        fleet.repositories.len(),
        recs.len() as f64 / secs,
        100.0 * got as f64 / sum.max(1) as f64
    );
}

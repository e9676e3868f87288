//! One harness per parser of outside bytes, shared by the `cargo fuzz` targets and by
//! `tests/fuzz_regressions.rs`, which replays `fuzz/regressions/` on stable.
//!
//! Each harness feeds the bytes to the parser's public entry point and checks what must
//! hold for any input: no panic, no hang, and round trips where the type promises one.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use archlens::analyze::{self, Config, Image, Layer, Progress};
use archlens::detect::{self, go, node, python, script};
use archlens::oci::manifest::{self, Document};
use archlens::oci::{Arch, Digest, Platform, media};
use archlens::scan::{LayerScan, MergedFs, scan_layer};
use archlens::source::docker_archive::DockerArchive;
use archlens::source::dockerref::RegistryRef;
use archlens::source::registry::fuzzing as registry;
use archlens::source::{ImageSource, Reference, archive, ecr};
use archlens::verdict::{self, target};

/// The descriptor's media type for fuzzed layers; the magic bytes decide the decoder.
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A harness: any bytes in, no panic out.
pub type Harness = fn(&[u8]);

/// Every harness by target name (the file name under `fuzz/fuzz_targets/`).
pub const TARGETS: &[(&str, Harness)] = &[
    ("detect_elf", detect_elf),
    ("detect_go", detect_go),
    ("detect_foreign", detect_foreign),
    ("detect_python", detect_python),
    ("detect_node", detect_node),
    ("detect_jar", detect_jar),
    ("detect_pkgdb", detect_pkgdb),
    ("detect_script", detect_script),
    ("scan_layer", scan_layer_merged),
    ("oci_manifest", oci_manifest),
    ("oci_digest", oci_digest),
    ("oci_platform", oci_platform),
    ("source_reference", source_reference),
    ("docker_archive", docker_archive),
    ("oci_archive", oci_archive),
    ("registry_headers", registry_headers),
    ("registry_token", registry_token),
    ("docker_config", docker_config),
    ("verdict_e2e", verdict_e2e),
];

/// Splits at the first newline: a short text (a path, a name) and the bytes after it.
fn split_line(data: &[u8]) -> (&str, &[u8]) {
    let cut = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let line = std::str::from_utf8(&data[..cut]).unwrap_or("");
    (line, data.get(cut + 1..).unwrap_or(&[]))
}

fn classify(path: &str, data: &[u8]) {
    let _ = detect::classify(path, data.len() as u64, &mut &data[..]);
}

/// ELF headers, program headers, dynamic section, notes (and Go build info in the tail).
pub fn detect_elf(data: &[u8]) {
    let _ = detect::elf::parse(data, data.len() as u64);
    classify("/usr/local/bin/app", data);
}

/// Go build info: the streaming finder and the blob parser.
pub fn detect_go(data: &[u8]) {
    let _ = go::parse_build_info(data);
    let _ = go::find_build_info(&[], &mut &data[..]);
    let mut finder = go::Finder::new();
    for chunk in data.chunks(97) {
        finder.feed(chunk);
    }
    if let Some(blob) = finder.finish() {
        let _ = go::parse_build_info(&blob);
    }
}

/// Mach-O (thin and fat) and PE headers.
pub fn detect_foreign(data: &[u8]) {
    let _ = detect::foreign::sniff(data);
    classify("/app/lib/native.dylib", data);
}

/// An extension module's name or a `.dist-info/WHEEL` path (the first line) and a `WHEEL`
/// file (the rest).
pub fn detect_python(data: &[u8]) {
    let (name, rest) = split_line(data);
    let _ = python::extension_name_claim(name);
    let _ = python::is_extension_path(name);
    let _ = python::parse_wheel(name, &String::from_utf8_lossy(rest));
    classify(
        "/usr/lib/python3/site-packages/pkg-1.0.dist-info/WHEEL",
        rest,
    );
}

/// A prebuild's path (the first line) and a `package.json` (the rest).
pub fn detect_node(data: &[u8]) {
    let (path, rest) = split_line(data);
    let _ = node::prebuild_claim(path);
    let _ = node::is_addon(path);
    classify("/app/node_modules/pkg/package.json", rest);
}

/// A jar (a zip, jars nested inside it, native libraries inside those).
pub fn detect_jar(data: &[u8]) {
    let _ = detect::jar::inspect_bytes("/app/app.jar", None, data);
    classify("/app/app.jar", data);
}

/// dpkg `status`, a `status.d` file, and apk's `installed`.
pub fn detect_pkgdb(data: &[u8]) {
    classify("/var/lib/dpkg/status", data);
    classify("/var/lib/dpkg/status.d/pkg", data);
    classify("/lib/apk/db/installed", data);
}

/// A `#!` line.
pub fn detect_script(data: &[u8]) {
    if let Some(info) = script::parse(data) {
        let _ = info.command();
    }
    classify("/usr/local/bin/entrypoint.sh", data);
}

fn layer_digest(data: &[u8]) -> Digest {
    Digest::sha256_of(data)
}

fn scan(data: &[u8]) -> Option<LayerScan> {
    scan_layer(data, LAYER_MEDIA_TYPE, &layer_digest(data)).ok()
}

/// A layer blob (gzip, zstd or plain tar, sniffed), stacked twice into a merged filesystem
/// so its whiteouts apply to its own files; every path is resolved and listed.
pub fn scan_layer_merged(data: &[u8]) {
    let Some(s) = scan(data) else { return };
    let d = layer_digest(data);
    let fs = MergedFs::build(&[(d.clone(), &s), (d, &s)]);
    for path in fs.paths() {
        let _ = fs.resolve(&path);
        let _ = fs.list_dir(&path);
        let _ = fs.children(&path).count();
    }
    let _ = fs.layer_changes(1);
}

/// A manifest, index or config, as every source reads them.
pub fn oci_manifest(data: &[u8]) {
    for media_type in [None, Some(media::OCI_INDEX), Some(media::DOCKER_MANIFEST)] {
        if let Ok(doc) = manifest::parse_document(data, media_type, "fuzz") {
            let descriptors = match &doc {
                Document::Index(i) => i.manifests().clone(),
                Document::Image(m) => m.layers().clone(),
            };
            for d in &descriptors {
                let _ = manifest::descriptor_platform(d);
                let _ = manifest::entry_kind(d);
            }
        }
    }
    if let Ok(c) = manifest::parse_config(data, "fuzz") {
        let _ = manifest::config_platform(&c);
    }
}

/// A digest's text; what parses prints back to itself.
pub fn oci_digest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = text.parse::<Digest>() {
        assert_eq!(d.to_string().parse::<Digest>().ok(), Some(d.clone()));
        let _ = d.short();
    }
}

/// `os/arch[/variant]` text (first line) ranked against another (the rest); what parses
/// prints to a text that parses back to it.
pub fn oci_platform(data: &[u8]) {
    let (first, rest) = split_line(data);
    let Ok(p) = first.parse::<Platform>() else {
        return;
    };
    assert_eq!(p.to_string().parse::<Platform>().ok(), Some(p.clone()));
    let _ = p.runnable();
    if let Ok(other) = String::from_utf8_lossy(rest).parse::<Platform>() {
        let _ = p.rank(&other);
        let _ = p.runs_arch(&other.arch);
    }
}

/// An image reference as typed on the command line; a registry reference prints to a text
/// that parses back to it.
pub fn source_reference(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = RegistryRef::parse(text) {
        assert_eq!(RegistryRef::parse(&r.to_string()).ok(), Some(r.clone()));
        let _ = ecr::parse_ecr_host(r.api_host());
    }
    let _ = ecr::parse_ecr_host(text);
    // A bare path is sniffed by reading its tar headers: keep to texts naming no file.
    if !Path::new(text).exists() && !text.contains('\0') {
        let _ = Reference::parse(text).map(|r| r.to_string());
    }
}

/// Writes the bytes to a temporary file, for the sources that open a path.
fn temp_file(data: &[u8]) -> Option<tempfile::NamedTempFile> {
    let mut f = tempfile::NamedTempFile::new().ok()?;
    f.write_all(data).ok()?;
    f.flush().ok()?;
    Some(f)
}

/// Reads the whole reference and assesses it against every built-in target.
fn check_all(src: &dyn ImageSource) {
    let Ok(root) = analyze::load_root(src) else {
        return;
    };
    let run = archlens::check::check(
        src,
        "fuzz",
        root,
        &target::builtin(),
        None,
        &Progress::default(),
    );
    let _ = run.results();
}

/// A `docker save` tarball: manifest.json, config and layers, then the verdicts.
pub fn docker_archive(data: &[u8]) {
    let Some(f) = temp_file(data) else { return };
    let opened =
        DockerArchive::open(f.path(), None).or_else(|_| DockerArchive::open(f.path(), Some("@0")));
    if let Ok(src) = opened {
        check_all(&src);
    }
}

/// An OCI layout in a tar (`oci-archive:`): oci-layout, index.json, blobs by digest.
pub fn oci_archive(data: &[u8]) {
    let Some(f) = temp_file(data) else { return };
    if let Ok(src) = archive::open_oci_archive(f.path(), None) {
        check_all(&src);
    }
}

/// A `WWW-Authenticate` header and a `Link` header (the same text).
pub fn registry_headers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = registry::challenge(&text);
    let _ = registry::next_link(&text);
}

/// A token service's JSON answer.
pub fn registry_token(data: &[u8]) {
    let _ = registry::token(data);
}

/// Docker's `config.json`, looked up for Docker Hub and a private registry.
pub fn docker_config(data: &[u8]) {
    for name in ["docker.io", "127.0.0.1:5000", "ghcr.io"] {
        let _ = registry::docker_config_user(data, name);
    }
}

/// End to end: the first line is the entrypoint, the rest a layer; the layer is scanned,
/// stacked, and every built-in target's content rules judge the image.
pub fn verdict_e2e(data: &[u8]) {
    let (entry, layer) = split_line(data);
    let Some(s) = scan(layer) else { return };
    let d = layer_digest(layer);
    let fs = MergedFs::build(&[(d.clone(), &s)]);
    let config = Config {
        entrypoint: Some(entry.split(' ').map(str::to_string).collect()),
        cmd: None,
        env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".into()],
        workdir: Some("/".into()),
        user: None,
        labels: Default::default(),
        platform: Platform::linux(Arch::amd64()),
        layer_history: Vec::new(),
    };
    let image = Image {
        digest: Digest::sha256_of(data),
        media_type: media::OCI_MANIFEST.into(),
        config_digest: Digest::sha256_of(entry.as_bytes()),
        config,
        layers: vec![Layer {
            digest: d,
            media_type: LAYER_MEDIA_TYPE.into(),
            size: layer.len() as u64,
            created_by: None,
            scan: Arc::new(s),
        }],
        fs,
    };
    for t in target::builtin() {
        let findings = verdict::evaluate_image("fuzz", &t, None, &[], &image);
        let _ = verdict::TargetResult::from_findings(&t, None, findings);
    }
}

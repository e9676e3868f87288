//! Small hand-made images for the model tests (the screen tests use the real demo).

use std::sync::Arc;

use super::*;
use crate::analyze::{Config, Layer, Root};
use crate::analyze::{Entry, Image};
use crate::catalog::{ImageRow, RepoRow, RootInfo};
use crate::detect::{Artifact, Details, ElfInfo, ElfType, Kind, Libc};
use crate::oci::manifest::EntryKind;
use crate::oci::{Arch, media};
use crate::oci::{Digest, Platform};
use crate::scan::{self, Change, LayerScan, MergedFs, Node};
use crate::ui::keymap::KeyPress;
use crate::ui::keymap::{self, Keymap};

pub fn digest(s: &str) -> Digest {
    Digest::sha256_of(s.as_bytes())
}

pub fn elf(path: &str, arch: Arch) -> Artifact {
    Artifact {
        path: path.into(),
        container: None,
        kind: Kind::Elf,
        arch: Some(arch.clone()),
        libc: Some(Libc::Glibc),
        interpreter: None,
        details: Details::Elf(ElfInfo {
            class: 64,
            big_endian: false,
            machine: if arch.name == "arm64" { 183 } else { 62 },
            elf_type: ElfType::Executable,
            is_static: true,
            interpreter: None,
            needed: vec![],
            soname: None,
            min_glibc: None,
            ..ElfInfo::default()
        }),
        sha256: None,
    }
}

/// An image whose entrypoint `/app/server` is built for `arch`.
pub fn image(name: &str, arch: Arch) -> Image {
    let layer = digest(&format!("{name}-layer"));
    let art = elf("/app/server", arch.clone());
    let file = |p: &str, kind: scan::EntryKind, size| scan::Entry {
        path: p.into(),
        kind,
        size,
        mode: 0o755,
    };
    let entries = vec![
        file("/app", scan::EntryKind::Dir, 0),
        file("/app/server", scan::EntryKind::File, 2_000_000),
        file("/etc/os-release", scan::EntryKind::File, 300),
    ];
    let nodes: Vec<Node> = entries
        .iter()
        .map(|e| Node {
            entry: e.clone(),
            layer: 0,
            history: vec![(0, Change::Added)],
        })
        .collect();
    let scan = LayerScan {
        entries: entries.into(),
        artifacts: vec![art.clone()],
        ..LayerScan::default()
    };
    Image {
        digest: digest(name),
        media_type: media::OCI_MANIFEST.into(),
        config_digest: digest(&format!("{name}-config")),
        config: Config {
            entrypoint: Some(vec!["/app/server".into()]),
            cmd: None,
            env: vec![],
            workdir: None,
            user: None,
            platform: Platform::linux(arch),
            labels: Default::default(),
            layer_history: vec!["COPY server /app/server".into()],
        },
        layers: vec![Layer {
            digest: layer.clone(),
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
            size: 900_000,
            created_by: Some("COPY server /app/server".into()),
            scan: Arc::new(scan),
        }],
        fs: MergedFs::from_nodes(vec![layer], nodes, vec![(0, art)]),
    }
}

pub fn single(name: &str, arch: Arch) -> RootInfo {
    RootInfo {
        root: Root {
            digest: digest(name),
            media_type: media::OCI_MANIFEST.into(),
            is_index: false,
            entries: vec![Entry {
                digest: digest(name),
                media_type: media::OCI_MANIFEST.into(),
                platform: None,
                kind: EntryKind::Image,
                subject: None,
                artifact: None,
                size: 500,
            }],
        },
        config_platform: Some(Platform::linux(arch)),
        size: 900_000,
        unread: [(digest(name), 900_000)].into(),
    }
}

/// An index of amd64 and arm64 images plus an attestation of the amd64 one.
pub fn index(name: &str) -> RootInfo {
    let e = |n: &str, arch: Option<Arch>, kind, subject: Option<String>| Entry {
        digest: digest(n),
        media_type: media::OCI_MANIFEST.into(),
        platform: arch.map(Platform::linux),
        artifact: (kind == EntryKind::Attestation)
            .then_some(crate::oci::manifest::Artifact::BuildkitAttestation),
        kind,
        subject,
        size: 600,
    };
    RootInfo {
        root: Root {
            digest: digest(name),
            media_type: media::OCI_INDEX.into(),
            is_index: true,
            entries: vec![
                e(
                    &format!("{name}-amd64"),
                    Some(Arch::amd64()),
                    EntryKind::Image,
                    None,
                ),
                e(
                    &format!("{name}-arm64"),
                    Some(Arch::arm64()),
                    EntryKind::Image,
                    None,
                ),
                e(
                    &format!("{name}-att"),
                    Some(Arch::new("unknown", None)),
                    EntryKind::Attestation,
                    Some(digest(&format!("{name}-amd64")).to_string()),
                ),
            ],
        },
        config_platform: None,
        size: 1_800_000,
        unread: [
            (digest(&format!("{name}-amd64")), 900_000),
            (digest(&format!("{name}-arm64")), 900_000),
        ]
        .into(),
    }
}

pub fn row(tag: &str) -> ImageRow {
    ImageRow {
        tags: vec![tag.into()],
        reference: format!("oci:demo:{tag}"),
        digest: Some(digest(tag)),
        pushed: None,
        size: None,
        attached: Box::default(),
        unpullable: None,
        scan_findings: None,
    }
}

/// Answers a request as a worker would, from the fixtures above.
pub fn answer(req: &Request) -> Completion {
    match &req.job {
        Job::Repositories(j) => Completion::Repositories(Reply::new(
            req.id,
            j,
            Ok(vec![RepoRow {
                name: "demo".into(),
                images: Some(2),
                last_push: None,
                created: None,
                tag_mutability: None,
                pull_through_upstream: None,
            }]),
        )),
        Job::RepoStats(j) => {
            Completion::RepoStats(Reply::new(req.id, j, Ok(vec![None; j.repositories.len()])))
        }
        Job::ReadFile(j) => Completion::ReadFile(Reply::new(
            req.id,
            j,
            Ok(Arc::new(format!("contents of {}\n", j.path).into_bytes())),
        )),
        Job::Images(j) => Completion::Images(Reply::new(
            req.id,
            j,
            Ok(vec![row("mac-arm64"), row("good")]),
        )),
        Job::Root(j) => {
            let info = if j.row.tags[0] == "good" {
                index("good")
            } else {
                single(&j.row.tags[0], Arch::arm64())
            };
            Completion::Root(Reply::new(req.id, j, Ok(Arc::new(info))))
        }
        Job::Analyze(j) => {
            let (name, arch) = [
                ("mac-arm64", Arch::arm64()),
                ("good-amd64", Arch::amd64()),
                ("good-arm64", Arch::arm64()),
            ]
            .into_iter()
            .find(|(n, _)| digest(n) == j.digest)
            .unwrap_or(("unknown", Arch::amd64()));
            let image = Arc::new(image(name, arch));
            Completion::Analyze(Reply::new(req.id, j, Ok(Analyzed { image, tree: None })))
        }
    }
}

pub fn app() -> App {
    let s = keymap::load(None, false);
    let _ = Keymap::default_map();
    App::new(
        Origin {
            source: "oci:demo".into(),
            ..Origin::default()
        },
        s.keymap,
        s.theme,
        crate::verdict::target::lookup("apprunner").unwrap(),
    )
}

/// Runs every requested job at once and feeds the answers back, until quiet.
pub fn pump(app: &mut App, mut fx: Vec<Effect>) {
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            if let Effect::Submit(r) = e {
                next.extend(app.update(Action::Done(Box::new(answer(&r)))));
            }
        }
        fx = next;
    }
}

pub fn key(app: &mut App, k: &str) {
    let fx = app.update(Action::Key(KeyPress::parse(k).unwrap()));
    pump(app, fx);
}

pub fn keys(app: &mut App, ks: &[&str]) {
    for k in ks {
        key(app, k);
    }
}

/// Presses Enter on the selected image and returns its analysis request, unanswered.
pub fn open_without_answer(app: &mut App) -> Request {
    let fx = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
    fx.iter()
        .find_map(|e| match e {
            Effect::Submit(r) if matches!(r.job, Job::Analyze { .. }) => Some(Request::clone(r)),
            _ => None,
        })
        .expect("an analysis request")
}

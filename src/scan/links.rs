//! Hard links as overlayfs keeps them: a link shares the content its target had when the link
//! was made, whatever later layers do to the other names of that content.

use std::collections::HashMap;

use crate::detect::Artifact;

use super::arena::Id;

/// One file's bytes, shared by several names: where they were written.
struct Content {
    layer: usize,
    origin: Id,
    size: u64,
}

/// The names of shared contents while the merged filesystem is built. Only paths that take
/// part in a hard link are here, so plain files cost nothing.
#[derive(Default)]
pub(super) struct Links {
    contents: Vec<Content>,
    /// Live name -> (index into `contents`, order of creation).
    names: HashMap<Id, (usize, u64)>,
    made: u64,
}

/// What settling makes of one name of a shared content.
pub(super) enum Settled {
    /// The first surviving name: a file of the content's size.
    File { size: u64 },
    /// Any other name: a hard link to the first.
    Link { to: Id },
}

/// Where the artefacts of shared contents live once the build is done: (layer, origin)
/// -> the name they are found under now.
pub(super) type Rehome = HashMap<(usize, Id), Id>;

impl Links {
    /// `path` no longer names what it named: it was overwritten or deleted.
    pub fn forget(&mut self, path: Id) {
        // Most images have no hard links: skip hashing every path of every layer.
        if !self.names.is_empty() {
            self.names.remove(&path);
        }
    }

    /// Whether `path` is one name of a hard-linked content.
    pub fn has(&self, path: Id) -> bool {
        !self.names.is_empty() && self.names.contains_key(&path)
    }

    /// Makes `link` a new name of the content at `target`, whose node was written by
    /// `layer` with `size` bytes and is a plain file when `is_file`. Returns false when
    /// `target` has no content to share.
    pub fn link(&mut self, link: Id, target: Id, is_file: bool, layer: usize, size: u64) -> bool {
        let content = match self.names.get(&target) {
            Some(&(c, _)) => c,
            None if is_file => {
                self.contents.push(Content {
                    layer,
                    origin: target,
                    size,
                });
                let c = self.contents.len() - 1;
                self.name(target, c);
                c
            }
            None => return false,
        };
        self.name(link, content);
        true
    }

    fn name(&mut self, path: Id, content: usize) {
        self.made += 1;
        self.names.insert(path, (content, self.made));
    }

    /// Says, for each shared content, that its first surviving name is a file of the
    /// content's size and every other name a hard link to it (as a tar of the merged
    /// filesystem would record them), and where each content's artefacts now live.
    pub fn settle(self) -> (Vec<(Id, Settled)>, Rehome) {
        let mut by_content: Vec<Vec<(u64, Id)>> = vec![Vec::new(); self.contents.len()];
        for (path, (c, made)) in self.names {
            if let Some(names) = by_content.get_mut(c) {
                names.push((made, path));
            }
        }
        let mut rewrites = Vec::new();
        let mut rehome = Rehome::new();
        for (content, mut names) in self.contents.into_iter().zip(by_content) {
            names.sort_unstable();
            let mut names = names.into_iter().map(|(_, p)| p);
            let Some(first) = names.next() else {
                continue;
            };
            rewrites.push((first, Settled::File { size: content.size }));
            for other in names {
                rewrites.push((other, Settled::Link { to: first }));
            }
            if first != content.origin {
                rehome.insert((content.layer, content.origin), first);
            }
        }
        (rewrites, rehome)
    }
}

/// The artefact `a`, found in the file `from`, as seen under the name `to` (nested
/// artefacts `from!/inner` included).
pub(super) fn rehomed(a: &Artifact, from: &str, to: &str) -> Artifact {
    let move_path = |p: &str| match p.strip_prefix(from) {
        Some(rest) if rest.is_empty() || rest.starts_with("!/") => format!("{to}{rest}"),
        _ => p.to_string(),
    };
    Artifact {
        path: move_path(&a.path),
        container: a.container.as_deref().map(move_path),
        ..a.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Details, ElfInfo, Kind};
    use crate::oci::{Arch, Digest};
    use crate::scan::{Entry, EntryKind, LayerScan, MergedFs};

    const TOOL: &str = "/usr/bin/tool";
    const LINK: &str = "/usr/local/bin/tool";

    fn elf(path: &str, arch: &str) -> Artifact {
        Artifact {
            path: path.to_string(),
            container: None,
            kind: Kind::Elf,
            arch: Some(Arch {
                name: arch.to_string(),
                variant: None,
            }),
            libc: None,
            interpreter: None,
            details: Details::Elf(ElfInfo::default()),
            sha256: None,
        }
    }

    fn entry(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            path: path.to_string(),
            kind,
            size,
            mode: 0o755,
        }
    }

    fn file(path: &str, size: u64) -> Entry {
        entry(path, EntryKind::File, size)
    }

    fn link(path: &str, target: &str) -> Entry {
        entry(path, EntryKind::Hardlink(target.to_string()), 0)
    }

    /// Layer 0 of the issue: an arm64 tool and a hard link to it in another directory.
    fn arm64_with_link() -> LayerScan {
        LayerScan {
            entries: vec![file(TOOL, 600), link(LINK, TOOL)].into(),
            artifacts: vec![elf(TOOL, "arm64")],
            ..LayerScan::default()
        }
    }

    fn build(layers: &[&LayerScan]) -> MergedFs {
        let with_digests: Vec<(Digest, &LayerScan)> = layers
            .iter()
            .enumerate()
            .map(|(i, s)| (Digest::sha256_of(format!("layer {i}").as_bytes()), *s))
            .collect();
        MergedFs::build(&with_digests)
    }

    /// What the rules see at `path`: the real path, its size, and the CPU of the artefact
    /// there with the layer holding its bytes.
    fn seen(fs: &MergedFs, path: &str) -> (String, u64, Option<(usize, String)>) {
        let (real, node) = fs.resolve(path).unwrap();
        let art = fs
            .artifacts
            .iter()
            .find(|(_, a)| a.path == real)
            .map(|(l, a)| (*l, a.arch.as_ref().unwrap().name.clone()));
        (real, node.entry.size, art)
    }

    #[test]
    fn a_link_keeps_the_content_it_was_made_with_when_its_target_is_overwritten() {
        let amd64 = LayerScan {
            entries: vec![file(TOOL, 700)].into(),
            artifacts: vec![elf(TOOL, "amd64")],
            ..LayerScan::default()
        };
        let fs = build(&[&arm64_with_link(), &amd64]);
        assert_eq!(
            seen(&fs, LINK),
            (LINK.to_string(), 600, Some((0, "arm64".to_string())))
        );
        assert_eq!(
            seen(&fs, TOOL),
            (TOOL.to_string(), 700, Some((1, "amd64".to_string())))
        );
        // The sole name of its content is a plain file now, as a tar of the merged fs says.
        assert_eq!(fs.get(LINK).unwrap().entry.kind, EntryKind::File);
        assert_eq!(fs.artifacts.len(), 2, "{:?}", fs.artifacts);
    }

    #[test]
    fn a_link_outlives_the_deletion_of_its_target_and_a_new_file_there() {
        let gone = LayerScan {
            whiteouts: vec![TOOL.into()],
            ..LayerScan::default()
        };
        let fs = build(&[&arm64_with_link(), &gone]);
        assert_eq!(
            seen(&fs, LINK),
            (LINK.to_string(), 600, Some((0, "arm64".to_string())))
        );
        assert!(fs.get(TOOL).is_none());

        let again = LayerScan {
            entries: vec![file(TOOL, 700)].into(),
            artifacts: vec![elf(TOOL, "amd64")],
            ..LayerScan::default()
        };
        let fs = build(&[&arm64_with_link(), &gone, &again]);
        assert_eq!(seen(&fs, LINK).2, Some((0, "arm64".to_string())));
        assert_eq!(seen(&fs, TOOL).2, Some((2, "amd64".to_string())));
    }

    #[test]
    fn deleting_the_link_removes_only_the_link() {
        let gone = LayerScan {
            whiteouts: vec![LINK.into()],
            ..LayerScan::default()
        };
        let fs = build(&[&arm64_with_link(), &gone]);
        assert!(fs.resolve(LINK).is_err());
        assert_eq!(
            seen(&fs, TOOL),
            (TOOL.to_string(), 600, Some((0, "arm64".to_string())))
        );
        assert_eq!(fs.artifacts.len(), 1);
    }

    #[test]
    fn while_both_names_live_the_link_leads_to_the_file_and_the_content_counts_once() {
        let fs = build(&[&arm64_with_link()]);
        assert_eq!(seen(&fs, LINK), seen(&fs, TOOL));
        assert_eq!(
            fs.get(LINK).unwrap().entry.kind,
            EntryKind::Hardlink(TOOL.into())
        );
        assert_eq!(fs.get(LINK).unwrap().entry.size, 0);
        assert_eq!(fs.artifacts.len(), 1);
    }

    #[test]
    fn a_link_made_in_a_later_layer_to_a_link_shares_the_content_of_that_link() {
        let amd64 = LayerScan {
            entries: vec![file(TOOL, 700)].into(),
            artifacts: vec![elf(TOOL, "amd64")],
            ..LayerScan::default()
        };
        let relink = LayerScan {
            entries: vec![link("/opt/tool", LINK), link("/opt/new", TOOL)].into(),
            ..LayerScan::default()
        };
        let fs = build(&[&arm64_with_link(), &amd64, &relink]);
        assert_eq!(seen(&fs, "/opt/tool").0, LINK);
        assert_eq!(seen(&fs, "/opt/tool").2, Some((0, "arm64".to_string())));
        assert_eq!(seen(&fs, "/opt/new").0, TOOL);
        assert_eq!(seen(&fs, "/opt/new").2, Some((1, "amd64".to_string())));

        // With the first surviving name gone too, the next one holds the content.
        let gone = LayerScan {
            whiteouts: vec![LINK.into()],
            ..LayerScan::default()
        };
        let fs = build(&[&arm64_with_link(), &amd64, &relink, &gone]);
        assert_eq!(
            seen(&fs, "/opt/tool"),
            ("/opt/tool".to_string(), 600, Some((0, "arm64".to_string())))
        );
    }

    #[test]
    fn a_link_to_a_symlink_is_that_symlink() {
        let scan = LayerScan {
            entries: vec![
                file(TOOL, 600),
                entry("/usr/bin/t", EntryKind::Symlink("tool".into()), 0),
                link("/usr/bin/t2", "/usr/bin/t"),
            ]
            .into(),
            artifacts: vec![elf(TOOL, "arm64")],
            ..LayerScan::default()
        };
        let fs = build(&[&scan]);
        assert_eq!(
            fs.get("/usr/bin/t2").unwrap().entry.kind,
            EntryKind::Symlink("tool".into())
        );
        assert_eq!(seen(&fs, "/usr/bin/t2").0, TOOL);
    }

    #[test]
    fn artefacts_inside_a_linked_archive_move_with_it() {
        let jar = "/app/app.jar";
        let inner = Artifact {
            container: Some(jar.into()),
            ..elf("/app/app.jar!/lib/libx.so", "arm64")
        };
        let scan = LayerScan {
            entries: vec![file(jar, 10), link("/app/copy.jar", jar)].into(),
            artifacts: vec![inner],
            ..LayerScan::default()
        };
        let gone = LayerScan {
            whiteouts: vec![jar.into()],
            ..LayerScan::default()
        };
        let fs = build(&[&scan, &gone]);
        let (_, a) = &fs.artifacts[0];
        assert_eq!(a.path, "/app/copy.jar!/lib/libx.so");
        assert_eq!(a.container.as_deref(), Some("/app/copy.jar"));
    }
}

//! Tar archives read in place: the tar is indexed once (entry name -> offset and size)
//! and files are then read by seeking, never extracted. Backs `oci-archive:` and
//! `docker-archive:`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::layout::OciLayout;
use super::{BlobFile, SourceError, Store, safe_relative};

/// Links are followed at most this many times when an entry is looked up, like a kernel.
const LINK_HOPS: usize = 40;

/// An indexed tar file.
pub struct TarStore {
    file: PathBuf,
    /// Regular files: name -> (offset of the data, size).
    files: HashMap<String, (u64, u64)>,
    /// Symlinks and hard links: name -> target name (relative to the archive root).
    links: HashMap<String, String>,
}

impl TarStore {
    /// Reads every header of `file` once (seeking over the data).
    pub fn index(file: &Path) -> Result<TarStore, SourceError> {
        let label = file.display().to_string();
        let f = File::open(file).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                SourceError::NotFound(format!("{label}: no such file"))
            } else {
                SourceError::Io {
                    what: label.clone(),
                    source,
                }
            }
        })?;
        let bad = |e: std::io::Error| {
            SourceError::Invalid(format!(
                "{label} is not a readable tar archive: {e}. Recreate it (skopeo copy ... oci-archive:FILE or docker save)"
            ))
        };
        let mut archive = tar::Archive::new(BufReader::new(f));
        let mut files = HashMap::new();
        let mut links = HashMap::new();
        for entry in archive.entries_with_seek().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            // Names that would escape the archive can never be asked for: skip them.
            let Ok(name) = safe_relative(&raw, &label) else {
                continue;
            };
            let etype = entry.header().entry_type();
            if etype.is_file() {
                files.insert(name, (entry.raw_file_position(), entry.size()));
            } else if etype.is_symlink() || etype.is_hard_link() {
                let Some(target) = entry.link_name_bytes() else {
                    continue;
                };
                let target = String::from_utf8_lossy(&target).into_owned();
                let joined = if etype.is_symlink() {
                    match name.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{target}"),
                        None => target,
                    }
                } else {
                    target
                };
                if let Ok(t) = resolve_dots(&joined) {
                    links.insert(name, t);
                }
            }
        }
        Ok(TarStore {
            file: file.to_path_buf(),
            files,
            links,
        })
    }

    /// Whether the archive holds `name` (after following links).
    pub fn contains(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    fn lookup(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = name.to_string();
        for _ in 0..=LINK_HOPS {
            if let Some(&hit) = self.files.get(&name) {
                return Some(hit);
            }
            name = self.links.get(&name)?.clone();
        }
        None
    }

    /// The archive's file path.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

/// Resolves `..` inside an archive-relative name; refuses names that climb out.
fn resolve_dots(name: &str) -> Result<String, ()> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in name.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(())?;
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

impl TarStore {
    /// One file of the archive as a handle positioned at its first byte, for seeking in it.
    pub fn open_file(&self, name: &str) -> Result<BlobFile, SourceError> {
        let Some((offset, size)) = self.lookup(name) else {
            return Err(SourceError::NotFound(format!(
                "{}: no such file in the archive",
                self.label(name)
            )));
        };
        let io = |source| SourceError::Io {
            what: self.label(name),
            source,
        };
        // A file handle per stream, so layers can be read in parallel.
        let mut file = File::open(&self.file).map_err(io)?;
        file.seek(SeekFrom::Start(offset)).map_err(io)?;
        Ok(BlobFile { file, len: size })
    }
}

impl Store for TarStore {
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send>, u64), SourceError> {
        let BlobFile { file, len } = self.open_file(name)?;
        Ok((Box::new(file.take(len)), len))
    }

    fn label(&self, name: &str) -> String {
        format!("{}!{name}", self.file.display())
    }
}

/// Opens `oci-archive:FILE[:REF]`: an OCI layout inside a tar.
pub fn open_oci_archive(
    file: &Path,
    reference: Option<&str>,
) -> Result<OciLayout<TarStore>, SourceError> {
    let store = TarStore::index(file)?;
    let label = match reference {
        Some(r) => format!("oci-archive:{}:{r}", file.display()),
        None => format!("oci-archive:{}", file.display()),
    };
    OciLayout::open(store, label, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_inside_the_archive_only() {
        assert_eq!(resolve_dots("a/../b/./c").unwrap(), "b/c");
        assert!(resolve_dots("../etc/passwd").is_err());
    }
}

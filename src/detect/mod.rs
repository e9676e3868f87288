//! Classifiers: given a file's path and bytes, say what native artefact it is and for
//! which CPU. No I/O beyond the reader handed in, so every rule is tested on real bytes.
//!
//! The scanner calls [`classify`] once per regular file while it walks a layer; the
//! classifier reads only what it needs from the stream (a header, a few sections, a
//! small text file, or a jar up to [`JAR_BUFFER_CAP`]).

pub mod elf;
pub mod foreign;
pub mod go;
pub mod jar;
pub mod node;
pub mod pkgdb;
pub mod python;
pub mod script;
mod words;

pub use words::cpu_words;

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use crate::oci::Arch;

/// Jars (zip files) must be read whole to reach their central directory. A nested jar is
/// held in memory up to this size; a larger one is reported as not inspected.
pub const JAR_BUFFER_CAP: u64 = 32 * 1024 * 1024;

/// A top-level jar larger than this is spooled to an unnamed temporary file instead of
/// memory, so a 200 MB Spring Boot jar costs disk, not RAM.
pub const JAR_MEMORY_THRESHOLD: u64 = 8 * 1024 * 1024;

/// Jars larger than this are not inspected at all.
pub const JAR_SPOOL_CAP: u64 = 4 * 1024 * 1024 * 1024;

/// One native artefact found in an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Absolute path in the image; inside an archive `/app/app.jar!/org/x/libx.so`.
    pub path: String,
    /// The archive that holds it (`/app/app.jar`), for artefacts found inside one.
    pub container: Option<String>,
    pub kind: Kind,
    /// The CPU the artefact is built for, in OCI names; `None` when arch-independent or unknown.
    pub arch: Option<Arch>,
    pub libc: Option<Libc>,
    /// The ELF interpreter (PT_INTERP) or, for a script, the shebang interpreter.
    pub interpreter: Option<String>,
    pub details: Details,
    /// The sha256 of the file's whole content, for an artefact that is a file of its layer
    /// (not one found inside an archive): two images can then be told byte-identical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<crate::oci::Digest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An ELF executable or shared object that is not one of the more specific kinds.
    Elf,
    /// An ELF (or other) binary built by the Go toolchain.
    GoBinary,
    /// A Mach-O binary (macOS): never runs on Linux.
    MachO,
    /// A PE binary (Windows): never runs on Linux.
    Pe,
    /// An installed Python distribution (its `*.dist-info/WHEEL`).
    PythonWheel,
    /// A compiled Python extension module (`*.so` under a Python path).
    PythonExtension,
    /// A Node.js native addon (`*.node`).
    NodeAddon,
    /// A Node.js package that declares `os`/`cpu`/`libc` (napi-rs platform packages).
    NodePackage,
    /// A jar (or war/ear); its native libraries are reported as `JniLibrary`.
    Jar,
    /// A JNI shared library inside a jar.
    JniLibrary,
    /// A dpkg or apk package database.
    PackageDb,
    /// A script whose shebang names its interpreter.
    Script,
}

impl Kind {
    /// Compiled code whose CPU matters; packages, wheels' metadata and scripts are not.
    pub fn is_native(self) -> bool {
        matches!(
            self,
            Kind::Elf
                | Kind::GoBinary
                | Kind::MachO
                | Kind::Pe
                | Kind::PythonExtension
                | Kind::NodeAddon
                | Kind::JniLibrary
        )
    }

    /// Native code a Linux host loads: Mach-O and PE files are shipped as data (pip's
    /// launcher `.exe`s, prebuilt addons for other systems) and prove nothing of a label.
    pub fn is_linux_code(self) -> bool {
        self.is_native() && !matches!(self, Kind::MachO | Kind::Pe)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Libc {
    Glibc,
    Musl,
    /// Bionic, or a bare `libc.so` that cannot be told apart.
    Other,
}

impl Libc {
    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
            Libc::Other => "another libc (bionic, or a bare libc.so)",
        }
    }
}

/// Kind-specific facts, shown in the details pane and the JSON `details` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Details {
    Elf(ElfInfo),
    Go { elf: Option<ElfInfo>, go: GoInfo },
    MachO(ForeignBinary),
    Pe(ForeignBinary),
    Wheel(WheelInfo),
    NodePackage(NodePackageInfo),
    Jar(JarInfo),
    PackageDb(PackageDbInfo),
    Script(ScriptInfo),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElfType {
    /// ET_EXEC, or ET_DYN with PT_INTERP (a PIE executable).
    Executable,
    /// ET_DYN without PT_INTERP but with no DT_SONAME and an entry point: static-pie.
    StaticPie,
    SharedObject,
    Relocatable,
    Core,
    #[default]
    Other,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ElfInfo {
    /// 32 or 64.
    pub class: u8,
    pub big_endian: bool,
    /// The raw `e_machine`.
    pub machine: u16,
    pub elf_type: ElfType,
    /// Statically linked: an executable or static-pie with no PT_INTERP and no DT_NEEDED.
    pub is_static: bool,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub soname: Option<String>,
    /// Highest `GLIBC_x.y` version needed, e.g. `2.34`.
    pub min_glibc: Option<String>,
    /// What the file's name or directory claims (a Python extension's
    /// `cpython-311-aarch64-linux-gnu` tag, a prebuildify `linux-arm64` dir, a JNI
    /// library's `native/Linux/aarch64/` place in its jar), when it claims
    /// one; the ELF header outranks it, and a disagreement is also written in `notes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_arch: Option<Arch>,
    /// The x86-64 level (1 = baseline, 2..4 = v2..v4) its GNU property note says the code
    /// needs; glibc's loader refuses to start it on a lower CPU. `None` without the note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x86_level_needed: Option<u8>,
    /// What could not be inspected (parts beyond the prefix read) or looked odd, for people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GoInfo {
    pub go_version: Option<String>,
    /// The main module path, when the build recorded one.
    pub module: Option<String>,
    pub goos: Option<String>,
    pub goarch: Option<String>,
    /// `GOAMD64`, `GOARM`, `GOARM64`... whichever applies.
    pub goarch_level: Option<String>,
    pub cgo: Option<bool>,
    /// False when the binary had no build-info header and the arch came from the ELF header.
    pub has_build_info: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ForeignBinary {
    /// What it is, for people: `Mach-O 64-bit arm64 executable`, `PE32+ x86-64 DLL`.
    pub description: String,
    /// The CPU name as the format spells it.
    pub cpu: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WheelInfo {
    pub name: Option<String>,
    pub version: Option<String>,
    /// Every `Tag:` line (`cp311-cp311-manylinux_2_17_aarch64`).
    pub tags: Vec<String>,
    pub root_is_purelib: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodePackageInfo {
    pub name: Option<String>,
    pub version: Option<String>,
    pub os: Vec<String>,
    pub cpu: Vec<String>,
    pub libc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JarInfo {
    pub entries: u64,
    /// Native libraries inside (also reported as separate `JniLibrary` artefacts).
    pub native_libraries: Vec<String>,
    pub nested_jars: Vec<String>,
    /// Set when the jar was larger than [`JAR_BUFFER_CAP`] or unreadable: not inspected.
    pub not_inspected: Option<String>,
    /// Entries that could not be read (unsupported compression, budget spent), for people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PackageDbInfo {
    /// `dpkg` or `apk`.
    pub manager: String,
    pub packages: u64,
    /// Package count per architecture as recorded (`amd64`, `all`, `x86_64`, `noarch`...).
    pub architectures: Vec<(String, u64)>,
    /// The upstream version of the installed glibc package (dpkg `libc6`), e.g. `2.36`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glibc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScriptInfo {
    /// The shebang line's interpreter path (`/bin/sh`, `/usr/bin/env`).
    pub interpreter: String,
    /// The rest of the shebang line (`node` for `#!/usr/bin/env node`).
    pub args: Vec<String>,
    /// For a shell script, its last command line: what a wrapper finally runs (`exec "$@"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<ScriptTail>,
}

/// The last command of a shell script, kept so the verdict can tell what a wrapper starts
/// without holding the whole script.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScriptTail {
    /// 1-based line where it starts.
    pub line: u32,
    /// The command line as written (continuation lines joined), at most [`script::TAIL_MAX`] bytes.
    pub text: String,
    /// The script changes its arguments somewhere (`set --`, `shift`), so `"$@"` at the end
    /// may not be what it was given.
    pub sets_args: bool,
}

/// A failure to classify a file that looked native (a corrupt ELF, an unreadable jar).
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{path}: {detail}")]
    Malformed { path: String, detail: String },
    #[error("{path}: read failed: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// How much of every file is peeked at to decide by magic bytes: [`classify`] reads these
/// first, and [`native_magic`] needs no more.
pub const HEAD: u64 = 4096;
/// Largest `WHEEL` file read (real ones are a few hundred bytes).
const WHEEL_CAP: u64 = 64 * 1024;

/// Whether `path` alone sends a file to a text or archive classifier (package databases,
/// wheel metadata, package.json, jars): such files are never native code, so the scanner
/// need not hash them.
pub fn routed_by_path(path: &str) -> bool {
    pkgdb::manager_of(path).is_some()
        || python::is_wheel_metadata(path)
        || node::is_package_json(path)
        || jar::is_jar(path)
}

/// Whether a file whose path routes it nowhere ([`routed_by_path`]) and whose first
/// `min(size, HEAD)` bytes are `head` goes to a native classifier (ELF, Mach-O, PE). Only
/// such files can be native artefacts, so the scanner hashes no other file.
pub fn native_magic(path: &str, head: &[u8]) -> bool {
    elf::is_elf(head) || foreign_binary(path, head)
}

/// Mach-O or PE by magic; a Java class shares Mach-O's universal magic `0xcafebabe`.
fn foreign_binary(path: &str, head: &[u8]) -> bool {
    foreign::sniff(head).is_some() && !path.ends_with(".class")
}

/// Classifies one regular file from a layer. `path` is absolute and normalised, `size`
/// is the entry size from the tar header, `reader` yields at most `size` bytes. Returns
/// every artefact found (a jar yields itself and its JNI libraries), or nothing for an
/// ordinary file. Reads only what it needs; the caller drains the rest.
///
/// Cost: a 4 KiB peek for ordinary files; ELF files are read to the end (the Go build
/// info header sits after the code) through a bounded window; jars up to
/// [`JAR_BUFFER_CAP`] are buffered whole.
///
/// ```
/// use archlens::detect::{Kind, classify};
/// let script = b"#!/usr/bin/env node\nconsole.log('hi')\n";
/// let found = classify("/entrypoint.js", script.len() as u64, &mut &script[..]).unwrap();
/// assert_eq!(found[0].kind, Kind::Script);
/// assert_eq!(found[0].interpreter.as_deref(), Some("/usr/bin/env"));
/// ```
pub fn classify(
    path: &str,
    size: u64,
    reader: &mut dyn Read,
) -> Result<Vec<Artifact>, DetectError> {
    if size == 0 {
        return Ok(Vec::new());
    }
    let io_err = |source| DetectError::Io {
        path: path.to_string(),
        source,
    };
    // Files known by their path first: text formats have no magic bytes.
    if let Some(manager) = pkgdb::manager_of(path) {
        let text = read_text(reader, pkgdb::PKGDB_CAP).map_err(io_err)?;
        let (info, arch) = pkgdb::parse(manager, &text);
        return Ok(vec![artifact(
            path,
            Kind::PackageDb,
            arch,
            None,
            Details::PackageDb(info),
        )]);
    }
    if python::is_wheel_metadata(path) {
        let text = read_text(reader, WHEEL_CAP).map_err(io_err)?;
        let (info, arch, libc) = python::parse_wheel(path, &text);
        let mut a = artifact(path, Kind::PythonWheel, arch, None, Details::Wheel(info));
        a.libc = libc;
        return Ok(vec![a]);
    }
    if node::is_package_json(path) {
        if size > node::PACKAGE_JSON_CAP {
            return Ok(Vec::new());
        }
        let text = read_text(reader, node::PACKAGE_JSON_CAP).map_err(io_err)?;
        return Ok(node::parse_package_json(&text)
            .map(|(info, arch, libc)| {
                let mut a = artifact(
                    path,
                    Kind::NodePackage,
                    arch,
                    None,
                    Details::NodePackage(info),
                );
                a.libc = libc;
                a
            })
            .into_iter()
            .collect());
    }
    if jar::is_jar(path) {
        return jar::classify_jar(path, size, reader);
    }

    let mut head = Vec::new();
    read_up_to(reader, &mut head, size.min(HEAD)).map_err(io_err)?;
    if elf::is_elf(&head) {
        let mut prefix = head;
        read_up_to(reader, &mut prefix, size.min(elf::ELF_PREFIX_CAP as u64)).map_err(io_err)?;
        let malformed = |detail: String| DetectError::Malformed {
            path: path.to_string(),
            detail,
        };
        let first = elf::parse(&prefix, size).map_err(|e| malformed(e.to_string()))?;
        // The rest of the file streams by anyway: look for Go build info in it, and keep
        // the pieces the headers point past the prefix (a big binary's dynamic segment).
        // A stream that breaks here costs only those; the scanner meets the error itself.
        let mut finder = go::Finder::new();
        finder.feed(&prefix);
        let (extents, go_err) =
            stream_rest(reader, prefix.len() as u64, &first.wanted, &mut finder);
        let go = finder.finish().as_deref().and_then(go::parse_build_info);
        let mut a =
            native_artifact(path, None, None, &prefix, &extents, size, go).map_err(malformed)?;
        if let (Some(e), Some(a)) = (go_err, a.as_mut())
            && let Details::Elf(info)
            | Details::Go {
                elf: Some(info), ..
            } = &mut a.details
        {
            info.notes.push(format!(
                "reading the rest of the file (for Go build info) failed: {e}"
            ));
        }
        return Ok(a.into_iter().collect());
    }
    if foreign_binary(path, &head) {
        return native_artifact(path, None, None, &head, &[], size, None)
            .map(|a| a.into_iter().collect())
            .map_err(|detail| DetectError::Malformed {
                path: path.to_string(),
                detail,
            });
    }
    if let Some(mut info) = script::parse(&head) {
        if script::is_shell(&info) && size <= script::SCRIPT_CAP {
            read_up_to(reader, &mut head, size).map_err(io_err)?;
            info.tail = script::tail(&String::from_utf8_lossy(&head));
        }
        let mut a = artifact(
            path,
            Kind::Script,
            None,
            None,
            Details::Script(info.clone()),
        );
        a.interpreter = Some(info.interpreter);
        return Ok(vec![a]);
    }
    Ok(Vec::new())
}

fn artifact(
    path: &str,
    kind: Kind,
    arch: Option<Arch>,
    container: Option<String>,
    details: Details,
) -> Artifact {
    Artifact {
        path: path.to_string(),
        container,
        kind,
        arch,
        libc: None,
        interpreter: None,
        details,
        sha256: None,
    }
}

/// Appends to `buf` from `reader` until it holds `limit` bytes or the reader ends.
pub(crate) fn read_up_to(reader: &mut dyn Read, buf: &mut Vec<u8>, limit: u64) -> io::Result<()> {
    let have = buf.len() as u64;
    if have < limit {
        reader.take(limit - have).read_to_end(buf)?;
    }
    Ok(())
}

/// Reads the rest of a file from `start`: feeds `finder` and captures the `wanted`
/// (offset, length) ranges. Stops when both are satisfied or the stream ends; an I/O
/// error ends it early and is returned beside what was captured.
fn stream_rest(
    reader: &mut dyn Read,
    start: u64,
    wanted: &[(u64, u64)],
    finder: &mut go::Finder,
) -> (Vec<elf::Extent>, Option<io::Error>) {
    let mut extents: Vec<elf::Extent> = wanted.iter().map(|&(o, _)| (o, Vec::new())).collect();
    let mut pos = start;
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let captured = extents
            .iter()
            .zip(wanted)
            .all(|((_, d), (_, len))| d.len() as u64 >= *len);
        if captured && finder.complete() {
            break;
        }
        let n = match go::read_some(reader, &mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return (extents, Some(e)),
        };
        let buf = &chunk[..n];
        finder.feed(buf);
        let end = pos + n as u64;
        for ((off, data), (_, len)) in extents.iter_mut().zip(wanted) {
            let from = *off + data.len() as u64;
            let (lo, hi) = (from.max(pos), (*off + len).min(end));
            // Only contiguous growth: a range that began before `start` stays empty.
            if lo < hi && lo == from {
                data.extend_from_slice(&buf[(lo - pos) as usize..(hi - pos) as usize]);
            }
        }
        pos = end;
    }
    (extents, None)
}

fn read_text(reader: &mut dyn Read, cap: u64) -> io::Result<String> {
    let mut buf = Vec::new();
    read_up_to(reader, &mut buf, cap)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Turns the first bytes of a binary (ELF prefix, or Mach-O/PE head) into an artefact
/// whose kind the path decides: a Python extension, a Node addon, a JNI library (when
/// `forced` says so), else a plain ELF / Go binary / Mach-O / PE. `Ok(None)` when the
/// bytes are neither ELF nor a foreign binary; `Err` names what is wrong with an ELF.
pub(crate) fn native_artifact(
    path: &str,
    container: Option<String>,
    forced: Option<Kind>,
    prefix: &[u8],
    extra: &[elf::Extent],
    size: u64,
    go: Option<GoInfo>,
) -> Result<Option<Artifact>, String> {
    let name_kind = forced.or_else(|| {
        if python::is_extension_path(path)
            || (path.ends_with(".pyd")
                && (path.contains("/site-packages/") || path.contains("/dist-packages/")))
        {
            Some(Kind::PythonExtension)
        } else if node::is_addon(path) {
            Some(Kind::NodeAddon)
        } else {
            None
        }
    });
    // What the name or directory claims, to compare with the header.
    let claim: Option<(Option<Arch>, Option<Libc>)> = match name_kind {
        Some(Kind::PythonExtension) => {
            python::extension_name_claim(path).map(|(a, l)| (Some(a), Some(l)))
        }
        Some(Kind::NodeAddon) => node::prebuild_claim(path).map(|(_, a, l)| (a, l)),
        Some(Kind::JniLibrary) => jar::path_claim(path),
        _ => None,
    };

    if elf::is_elf(prefix) {
        let facts = elf::parse_with(prefix, extra, size).map_err(|e| e.to_string())?;
        let mut info = facts.info;
        let mut arch = facts.arch;
        if let Some((claim_arch, claim_libc)) = &claim {
            info.claimed_arch = claim_arch.clone();
            if let (Some(c), Some(a)) = (claim_arch, &arch)
                && c != a
            {
                info.notes.push(format!(
                    "the file name says {c} but the ELF header says {a}; the header is what the loader checks"
                ));
            }
            if let (Some(c), Some(l)) = (claim_libc, facts.libc)
                && *c != l
            {
                info.notes.push(format!(
                    "the file name says {} but the ELF links against {}",
                    c.name(),
                    l.name()
                ));
            }
        }
        // A Go note without a build-info header (stripped of it, or a pre-1.18 layout):
        // still a Go binary, its arch from the ELF header.
        let go = go.or_else(|| facts.go_note.then(GoInfo::default));
        let (kind, details) = match (name_kind, go) {
            (Some(k), _) => (k, Details::Elf(info.clone())),
            (None, Some(go)) => {
                if let (Some(a), Some(goarch)) = (&arch, go.goarch.as_deref()) {
                    let from_go = Arch::new(goarch, None);
                    if a.same_family(&from_go) {
                        if let Some(v) = go::oci_variant(goarch, go.goarch_level.as_deref()) {
                            arch = Some(Arch::new(goarch, Some(&v)));
                        }
                    } else {
                        info.notes.push(format!(
                            "Go build info says GOARCH={goarch} but the ELF header says {a}"
                        ));
                    }
                }
                (
                    Kind::GoBinary,
                    Details::Go {
                        elf: Some(info.clone()),
                        go,
                    },
                )
            }
            (None, None) => (Kind::Elf, Details::Elf(info.clone())),
        };
        let mut a = artifact(path, kind, arch, container, details);
        a.libc = facts.libc;
        a.interpreter = info.interpreter;
        return Ok(Some(a));
    }
    let Some(f) = foreign::sniff(prefix) else {
        return Ok(None);
    };
    let details = match f.format {
        foreign::Format::MachO => Details::MachO(f.info),
        foreign::Format::Pe => Details::Pe(f.info),
    };
    let kind = name_kind.unwrap_or(match f.format {
        foreign::Format::MachO => Kind::MachO,
        foreign::Format::Pe => Kind::Pe,
    });
    Ok(Some(artifact(path, kind, f.arch, container, details)))
}

/// Reads a file of `tests/fixtures/detect/` (real bytes; recipes in its README).
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/fixtures/detect/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}; run scripts/fixtures/detect.sh"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_rest_captures_what_the_prefix_pointed_past() {
        let p = format!(
            "{}/tests/fixtures/detect/hello-armhf",
            env!("CARGO_MANIFEST_DIR")
        );
        let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        // Pretend the prefix cap were 4 KiB: the dynamic segment then streams by later.
        let first = elf::parse(&b[..4096], b.len() as u64).unwrap();
        // The dynamic segment, and the tail holding .ARM.attributes.
        assert_eq!(first.wanted.len(), 2);
        let mut finder = go::Finder::new();
        finder.feed(&b[..4096]);
        let mut rest = &b[4096..];
        let (extents, err) = stream_rest(&mut rest, 4096, &first.wanted, &mut finder);
        assert!(err.is_none());
        assert!(finder.finish().is_none(), "hello is not a Go binary");
        let full = elf::parse_with(&b[..4096], &extents, b.len() as u64).unwrap();
        assert_eq!(full.info.needed, vec!["libc.so.6", "ld-linux-armhf.so.3"]);
        assert_eq!(full.info.min_glibc.as_deref(), Some("2.34"));
        assert!(full.info.notes.is_empty(), "{:?}", full.info.notes);
    }
}

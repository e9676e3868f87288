//! Jars (`.jar`, `.war`, `.ear`): the JNI libraries inside (`*.so`, `*.dylib`, `*.dll`,
//! `*.jnilib`), classified like any binary, and nested jars (`BOOT-INF/lib/*.jar`).
//!
//! Zip bombs are the threat here: nesting depth, the total bytes decompressed and the
//! number of entries looked at are all capped, and every cap hit is written in warnings.

use std::io::{Cursor, Read};

use crate::oci::Arch;

use super::elf::ELF_PREFIX_CAP;
use super::{
    Artifact, Details, DetectError, JAR_BUFFER_CAP, JAR_MEMORY_THRESHOLD, JAR_SPOOL_CAP, JarInfo,
    Kind, Libc, native_artifact, read_up_to,
};

/// Jars inside jars inside jars... deeper than this are listed but not opened.
pub const MAX_DEPTH: usize = 3;
/// Bytes decompressed from one top-level jar, all nesting levels together.
pub const DECOMPRESS_BUDGET: u64 = 256 * 1024 * 1024;
/// Entries looked at in one top-level jar, all nesting levels together.
pub const ENTRY_BUDGET: u64 = 500_000;

/// Whether `path` names a Java archive.
pub fn is_jar(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    lower.ends_with(".jar") || lower.ends_with(".war") || lower.ends_with(".ear")
}

fn is_native(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    base.ends_with(".so")
        || base.contains(".so.")
        || base.ends_with(".dylib")
        || base.ends_with(".dll")
        || base.ends_with(".jnilib")
}

/// What a JNI library's place in the jar claims: sqlite-jdbc's
/// `org/sqlite/native/Linux-Musl/aarch64/`, netty's `libnetty_..._aarch_64.so`.
pub fn path_claim(path: &str) -> Option<(Option<Arch>, Option<Libc>)> {
    let inner = path
        .rsplit("!/")
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    // These two cross the separators the tokens are split on.
    let mut arch = if inner.contains("x86_64") || inner.contains("x86-64") {
        Some(Arch::amd64())
    } else if inner.contains("aarch_64") {
        Some(Arch::arm64())
    } else {
        None
    };
    let tokens: Vec<&str> = inner.split(['/', '_', '-', '.']).collect();
    if arch.is_none() {
        arch = tokens.iter().rev().find_map(|t| match *t {
            "aarch64" | "arm64" => Some(Arch::arm64()),
            "amd64" | "x64" => Some(Arch::amd64()),
            "armv7" | "armhf" => Some(Arch::new("arm", Some("v7"))),
            "armv6" | "armel" => Some(Arch::new("arm", Some("v6"))),
            "arm" | "arm32" => Some(Arch::new("arm", None)),
            "x86" | "i386" | "i686" => Some(Arch::new("386", None)),
            "ppc64le" | "ppc64el" => Some(Arch::new("ppc64le", None)),
            "s390x" => Some(Arch::new("s390x", None)),
            "riscv64" => Some(Arch::new("riscv64", None)),
            _ => None,
        });
    }
    let libc = tokens.contains(&"musl").then_some(Libc::Musl);
    (arch.is_some() || libc.is_some()).then_some((arch, libc))
}

struct Budget {
    bytes: u64,
    entries: u64,
}

/// Reads a jar from the stream and returns the jar artefact plus one per native library
/// inside (recursing into nested jars). Small jars are read into memory; larger ones are
/// spooled to an unnamed temporary file (removed by the OS when closed), since a zip's
/// directory sits at its end and a tar stream cannot seek.
pub fn classify_jar(
    path: &str,
    size: u64,
    reader: &mut dyn Read,
) -> Result<Vec<Artifact>, DetectError> {
    let not_inspected = |why: String| {
        vec![jar_artifact(
            path,
            None,
            JarInfo {
                not_inspected: Some(why),
                ..JarInfo::default()
            },
        )]
    };
    if size > JAR_SPOOL_CAP {
        return Ok(not_inspected(format!(
            "{size} bytes is over the {JAR_SPOOL_CAP}-byte limit for jars; \
             its native libraries were not looked at"
        )));
    }
    let io_err = |source| DetectError::Io {
        path: path.to_string(),
        source,
    };
    let mut budget = Budget {
        bytes: DECOMPRESS_BUDGET,
        entries: ENTRY_BUDGET,
    };
    if size <= JAR_MEMORY_THRESHOLD {
        let mut buf = Vec::new();
        read_up_to(reader, &mut buf, size).map_err(io_err)?;
        return Ok(inspect(path, None, Cursor::new(&buf[..]), 0, &mut budget));
    }
    let mut file = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => {
            return Ok(not_inspected(format!(
                "a {size}-byte jar needs a temporary file, which could not be made ({e}); \
                 set TMPDIR to a writable directory"
            )));
        }
    };
    std::io::copy(&mut reader.take(size), &mut file).map_err(io_err)?;
    std::io::Seek::rewind(&mut file).map_err(io_err)?;
    Ok(inspect(
        path,
        None,
        std::io::BufReader::new(file),
        0,
        &mut budget,
    ))
}

/// Inspects a jar held in memory. `path` is how the jar itself is named (for a nested
/// jar `/app/x.jar!/BOOT-INF/lib/y.jar`), `container` the archive that holds it.
pub fn inspect_bytes(path: &str, container: Option<&str>, bytes: &[u8]) -> Vec<Artifact> {
    let mut budget = Budget {
        bytes: DECOMPRESS_BUDGET,
        entries: ENTRY_BUDGET,
    };
    inspect(path, container, Cursor::new(bytes), 0, &mut budget)
}

fn jar_artifact(path: &str, container: Option<&str>, info: JarInfo) -> Artifact {
    Artifact {
        path: path.to_string(),
        container: container.map(str::to_string),
        kind: Kind::Jar,
        arch: None,
        libc: None,
        interpreter: None,
        details: Details::Jar(info),
        sha256: None,
    }
}

fn inspect<R: Read + std::io::Seek>(
    path: &str,
    container: Option<&str>,
    archive: R,
    depth: usize,
    budget: &mut Budget,
) -> Vec<Artifact> {
    let mut info = JarInfo::default();
    let mut zip = match zip::ZipArchive::new(archive) {
        Ok(z) => z,
        Err(e) => {
            info.not_inspected = Some(format!("not a readable zip archive: {e}"));
            return vec![jar_artifact(path, container, info)];
        }
    };
    info.entries = zip.len() as u64;
    let mut children = Vec::new();
    for i in 0..zip.len() {
        if budget.entries == 0 {
            info.warnings
                .push(format!("stopped after {ENTRY_BUDGET} entries (limit)"));
            break;
        }
        budget.entries -= 1;
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                info.warnings.push(format!("entry {i}: {e}"));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                info.warnings.push(format!("entry {i}: bad name: {e}"));
                continue;
            }
        };
        let inner = format!("{path}!/{name}");
        let nested = is_jar(&name);
        if !nested && !is_native(&name) {
            continue;
        }
        if nested && depth + 1 > MAX_DEPTH {
            info.nested_jars.push(name.clone());
            info.warnings.push(format!(
                "{name}: nested deeper than {MAX_DEPTH} jars; not opened"
            ));
            continue;
        }
        // A native library needs only its head; a nested jar is read whole, within budget.
        let want = if nested {
            JAR_BUFFER_CAP.min(budget.bytes)
        } else {
            (ELF_PREFIX_CAP as u64).min(budget.bytes)
        };
        let mut data = Vec::new();
        // One byte over `want` tells a nested jar that is too big from one that just fits.
        let limit = if nested { want.saturating_add(1) } else { want };
        if let Err(e) = (&mut entry).take(limit).read_to_end(&mut data) {
            info.warnings.push(format!("{name}: cannot be read: {e}"));
            continue;
        }
        budget.bytes = budget.bytes.saturating_sub(data.len() as u64);
        if nested {
            info.nested_jars.push(name.clone());
            if data.len() as u64 > want {
                let why = if want < JAR_BUFFER_CAP {
                    "the decompression budget for this jar is spent".to_string()
                } else {
                    format!("it is over the {JAR_BUFFER_CAP}-byte limit for jars")
                };
                children.push(jar_artifact(
                    &inner,
                    Some(path),
                    JarInfo {
                        not_inspected: Some(format!("not opened: {why}")),
                        ..JarInfo::default()
                    },
                ));
                continue;
            }
            children.extend(inspect(
                &inner,
                Some(path),
                Cursor::new(&data[..]),
                depth + 1,
                budget,
            ));
            continue;
        }
        let size = entry.size();
        match native_artifact(
            &inner,
            Some(path.to_string()),
            Some(Kind::JniLibrary),
            &data,
            &[],
            size,
            None,
        ) {
            Ok(Some(a)) => {
                info.native_libraries.push(name);
                children.push(a);
            }
            // A `.so` that is neither ELF nor Mach-O/PE (a linker script, a stub).
            Ok(None) => {}
            Err(e) => {
                info.native_libraries.push(name.clone());
                info.warnings.push(format!("{name}: {e}"));
            }
        }
    }
    let mut out = vec![jar_artifact(path, container, info)];
    out.extend(children);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detect::fixture;

    #[test]
    fn sqlite_layout_jar_yields_each_native_library() {
        let out = inspect_bytes("/app/sqlite.jar", None, &fixture("sqlite-demo.jar"));
        assert_eq!(out[0].kind, Kind::Jar);
        let Details::Jar(info) = &out[0].details else {
            panic!("jar details");
        };
        assert_eq!(info.native_libraries.len(), 4);
        let find = |suffix: &str| {
            out.iter()
                .find(|a| a.path.ends_with(suffix))
                .unwrap_or_else(|| panic!("{suffix} in {out:?}"))
        };
        let arm64 = find("Linux/aarch64/libsqlitejdbc.so");
        assert_eq!(
            arm64.path,
            "/app/sqlite.jar!/org/sqlite/native/Linux/aarch64/libsqlitejdbc.so"
        );
        assert_eq!(arm64.container.as_deref(), Some("/app/sqlite.jar"));
        assert_eq!(arm64.kind, Kind::JniLibrary);
        assert_eq!(arm64.arch, Some(Arch::arm64()));
        assert_eq!(arm64.libc, Some(Libc::Glibc));
        let Details::Elf(elf) = &arm64.details else {
            panic!("ELF details");
        };
        assert_eq!(elf.claimed_arch, Some(Arch::arm64()));
        assert!(elf.notes.is_empty(), "{:?}", elf.notes);
        assert_eq!(
            find("Linux/x86_64/libsqlitejdbc.so").arch,
            Some(Arch::amd64())
        );
        assert_eq!(
            find("Linux/arm/libsqlitejdbc.so").arch,
            Some(Arch::new("arm", Some("v7")))
        );
        let mac = find("libsqlitejdbc.dylib");
        assert!(matches!(mac.details, Details::MachO(_)));
        assert_eq!(mac.kind, Kind::JniLibrary);
    }

    #[test]
    fn jni_paths_claim_an_arch() {
        let c = |p: &str| path_claim(p);
        assert_eq!(
            c("/a.jar!/org/sqlite/native/Linux-Musl/aarch64/libsqlitejdbc.so"),
            Some((Some(Arch::arm64()), Some(Libc::Musl)))
        );
        assert_eq!(
            c("/a.jar!/META-INF/native/libnetty_transport_native_epoll_aarch_64.so"),
            Some((Some(Arch::arm64()), None))
        );
        assert_eq!(
            c("/a.jar!/META-INF/native/libnetty_transport_native_epoll_x86_64.so"),
            Some((Some(Arch::amd64()), None))
        );
        assert_eq!(c("/a.jar!/native/libfoo.so"), None);
    }

    #[test]
    fn fat_jar_is_opened_recursively() {
        let out = inspect_bytes("/app/app.jar", None, &fixture("fat-demo.jar"));
        let nested = "/app/app.jar!/BOOT-INF/lib/sqlite-demo.jar";
        let inner = out
            .iter()
            .find(|a| a.path == nested)
            .expect("nested jar artefact");
        assert_eq!(inner.container.as_deref(), Some("/app/app.jar"));
        let lib = out
            .iter()
            .find(|a| a.path.ends_with("Linux/aarch64/libsqlitejdbc.so"))
            .expect("nested JNI library");
        assert_eq!(lib.container.as_deref(), Some(nested));
        assert_eq!(lib.arch, Some(Arch::arm64()));
    }

    #[test]
    fn garbage_is_a_jar_not_inspected() {
        let out = inspect_bytes("/x.jar", None, b"PK\x03\x04 not really");
        assert_eq!(out.len(), 1);
        let Details::Jar(info) = &out[0].details else {
            panic!("jar details");
        };
        assert!(info.not_inspected.is_some());
    }

    #[test]
    fn depth_limit_stops_a_jar_quine() {
        // Five levels of nesting: only MAX_DEPTH are opened.
        let mut jar = fixture("sqlite-demo.jar");
        for _ in 0..5 {
            let mut out = Cursor::new(Vec::new());
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            w.start_file("lib/inner.jar", opts).unwrap();
            std::io::Write::write_all(&mut w, &jar).unwrap();
            w.finish().unwrap();
            jar = out.into_inner();
        }
        let out = inspect_bytes("/deep.jar", None, &jar);
        assert!(out.iter().all(|a| a.kind == Kind::Jar));
        assert!(out.iter().any(|a| match &a.details {
            Details::Jar(i) => i.warnings.iter().any(|w| w.contains("nested deeper")),
            _ => false,
        }));
    }
}

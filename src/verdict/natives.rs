//! What archlens knows about native libraries (`assets/natives.toml`): how to recognise each,
//! whether it falls back when no native file fits the CPU, and the line it prints when not.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::oci::Arch;

const TABLE: &str = include_str!("../../assets/natives.toml");

/// Where a library lives: a JNI library in a jar, an npm package, a Python package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Jni,
    Node,
    Python,
    /// The loader napi-rs generates for packages with per-platform binding packages.
    Napi,
}

/// One library's facts, each from the source file `source` names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Native {
    pub name: String,
    pub kind: Ecosystem,
    /// Prefixes of a JNI library's path inside its jar.
    #[serde(default)]
    paths: Vec<String>,
    /// Starts of a JNI library's file name.
    #[serde(default)]
    files: Vec<String>,
    /// The npm or Python package name.
    #[serde(default)]
    package: Option<String>,
    /// Whether the package still works, without its native code, when none fits.
    pub fallback: bool,
    /// The file (relative to site-packages) that holds a Python package's fallback.
    #[serde(default)]
    pub fallback_file: Option<String>,
    /// What it falls back to.
    #[serde(default)]
    pub falls_back_to: Option<String>,
    /// The line it throws when no native file fits, with `{machine}`-style placeholders.
    #[serde(default)]
    error: Option<String>,
    /// The lines earlier releases print instead, same placeholders.
    #[serde(default)]
    older_errors: Vec<String>,
    pub source: String,
}

#[derive(Deserialize)]
struct File {
    library: Vec<Native>,
}

fn parse(text: &str) -> Result<Vec<Native>, toml::de::Error> {
    toml::from_str::<File>(text).map(|f| f.library)
}

/// The built-in table, parsed once.
pub fn table() -> &'static [Native] {
    static TABLE_PARSED: OnceLock<Vec<Native>> = OnceLock::new();
    // The file is compiled in and covered by a test, so a parse failure cannot reach users.
    TABLE_PARSED.get_or_init(|| parse(TABLE).unwrap_or_default())
}

/// The library a JNI file belongs to, by its path inside the jar (`org/sqlite/native/...`).
pub fn jni(inner: &str) -> Option<&'static Native> {
    let inner = inner.trim_start_matches('/');
    let file = inner.rsplit('/').next().unwrap_or(inner);
    table()
        .iter()
        .filter(|n| n.kind == Ecosystem::Jni)
        .find(|n| {
            n.paths.iter().any(|p| inner.starts_with(p.as_str()))
                || n.files.iter().any(|f| file.starts_with(f.as_str()))
        })
}

/// The library a Node addon belongs to, by the package directory that holds it (the last
/// `node_modules/<name>`, or `node_modules/@scope/<name>`).
pub fn node(path: &str) -> Option<&'static Native> {
    let (_, rest) = path.rsplit_once("node_modules/")?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    let name = if first.starts_with('@') {
        format!("{first}/{}", parts.next()?)
    } else {
        first.to_string()
    };
    package(Ecosystem::Node, &name)
}

/// What napi-rs's generated loader does when no platform package fits.
pub fn napi() -> Option<&'static Native> {
    table().iter().find(|n| n.kind == Ecosystem::Napi)
}

/// The library a Python package (its top-level import name) is.
pub fn python(name: &str) -> Option<&'static Native> {
    package(Ecosystem::Python, name)
}

fn package(kind: Ecosystem, name: &str) -> Option<&'static Native> {
    table()
        .iter()
        .find(|n| n.kind == kind && n.package.as_deref() == Some(name))
}

impl Native {
    /// The library's own error line on `arch`, when its source says what it is.
    pub fn error_on(&self, arch: &Arch) -> Option<String> {
        self.error.as_deref().map(|e| fill(e, arch))
    }

    /// The lines earlier releases print on `arch`.
    pub fn older_errors_on(&self, arch: &Arch) -> Vec<String> {
        self.older_errors.iter().map(|e| fill(e, arch)).collect()
    }
}

/// Fills a line's placeholders with the names each project gives `arch`.
fn fill(line: &str, arch: &Arch) -> String {
    let (machine, os_arch, jna, node, rocksdb, osdetector) = match arch.name.as_str() {
        "amd64" => ("x86_64", "amd64", "x86-64", "x64", "linux64", "x86_64"),
        "arm64" => (
            "aarch64",
            "aarch64",
            "aarch64",
            "arm64",
            "linux-aarch64",
            "aarch_64",
        ),
        "386" => ("x86", "i386", "x86", "ia32", "linux32", "x86_32"),
        "arm" => ("arm", "arm", "arm", "arm", "linux32", "arm_32"),
        "ppc64le" => (
            "ppc64le",
            "ppc64le",
            "ppc64le",
            "ppc64",
            "linux-ppc64le",
            "ppcle_64",
        ),
        "s390x" => ("s390x", "s390x", "s390x", "s390x", "linux-s390x", "s390_64"),
        other => (other, other, other, other, other, other),
    };
    line.replace("{machine}", machine)
        .replace("{os_arch}", os_arch)
        .replace("{jna_arch}", jna)
        .replace("{node_cpu}", node)
        .replace("{rocksdb_lib}", rocksdb)
        .replace("{osdetector_arch}", osdetector)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_entry_cites_its_source() {
        let t = parse(TABLE).unwrap();
        assert!(t.len() >= 10, "{} entries", t.len());
        for n in &t {
            assert!(n.source.len() > 20, "{}: no source", n.name);
            assert_eq!(n.fallback, n.falls_back_to.is_some(), "{}", n.name);
            match n.kind {
                Ecosystem::Jni => assert!(!n.paths.is_empty() || !n.files.is_empty(), "{}", n.name),
                Ecosystem::Napi => assert!(n.error.is_some(), "{}", n.name),
                _ => assert!(n.package.is_some(), "{}: no package", n.name),
            }
            if let Some(e) = &n.error {
                let e = n
                    .error_on(&"arm64".parse().unwrap())
                    .unwrap_or_else(|| e.clone());
                assert!(!e.contains('{'), "{}: placeholder left in {e}", n.name);
            }
        }
        assert_eq!(table().len(), t.len());
    }

    #[test]
    fn each_project_names_the_cpu_its_own_way_in_its_line() {
        let arm64: Arch = "arm64".parse().unwrap();
        let rocksdb = jni("librocksdbjni-linux64.so").unwrap();
        assert_eq!(
            rocksdb.error_on(&arm64).unwrap(),
            "java.lang.RuntimeException: librocksdbjni-linux-aarch64.so was not found inside JAR."
        );
        let conscrypt = jni("META-INF/native/libconscrypt_openjdk_jni-linux-x86_64.so").unwrap();
        assert_eq!(
            conscrypt.error_on(&arm64).unwrap(),
            "java.lang.UnsatisfiedLinkError: no conscrypt_openjdk_jni-linux-aarch_64 in java.library.path: ..."
        );
        let napi = napi().unwrap();
        assert!(
            napi.error_on(&arm64)
                .unwrap()
                .starts_with("Error: Cannot find native binding.")
        );
        assert_eq!(
            napi.older_errors_on(&"amd64".parse().unwrap()),
            [
                "Error: Failed to load native binding",
                "Error: Cannot find module '<package>-linux-x64-gnu'"
            ]
        );
    }

    #[test]
    fn libraries_are_recognised_by_jar_path_file_name_and_package() {
        let sqlite = jni("org/sqlite/native/Linux/x86_64/libsqlitejdbc.so").unwrap();
        assert!(!sqlite.fallback);
        assert_eq!(
            sqlite.error_on(&"arm64".parse().unwrap()).unwrap(),
            "org.sqlite.NativeLibraryNotFoundException: No native library found for os.name=Linux, os.arch=aarch64, paths=[/org/sqlite/native/Linux/aarch64:...]"
        );
        let netty = jni("META-INF/native/libnetty_transport_native_epoll_x86_64.so").unwrap();
        assert!(netty.fallback);
        assert_eq!(jni("lib/libjnidispatch.so").unwrap().name, "jna");
        assert!(jni("META-INF/native/libsomething_else.so").is_none());
        assert_eq!(
            node(
                "/app/node_modules/ws/node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node"
            )
            .unwrap()
            .name,
            "bufferutil"
        );
        assert!(python("markupsafe").unwrap().fallback);
        assert!(python("numpy").is_none());
    }
}

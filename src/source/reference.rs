//! Image references in the containers-transports syntax (`oci:DIR[:REF]`,
//! `oci-archive:FILE[:REF]`, `docker-archive:FILE[:NAME:TAG]`, `docker-daemon:NAME`,
//! `podman:NAME`), parsed once into a [`Reference`].

use std::fmt;
use std::path::{Path, PathBuf};

use super::SourceError;
use super::engine::EngineKind;

/// Where an image is, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// An OCI image layout directory; `reference` matches `org.opencontainers.image.ref.name`.
    Oci {
        dir: PathBuf,
        reference: Option<String>,
    },
    /// A tar of an OCI image layout.
    OciArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// A `docker save` tarball; `image` is `NAME:TAG` or `@N` (the N-th image, from 0).
    DockerArchive {
        file: PathBuf,
        image: Option<String>,
    },
    /// An image in a local engine: `NAME[:TAG]`, `NAME@DIGEST` or an image ID, as the
    /// engine's API takes it.
    Engine { engine: EngineKind, image: String },
    /// Anything else (`host/repo:tag`, `docker://...`): for the registry sources.
    Registry(String),
}

impl Reference {
    /// Parses a reference. Transport prefixes follow containers-transports(5): the path
    /// ends at the first `:` after the prefix (paths containing `:` are not expressible,
    /// as with skopeo). A bare path to a directory holding `oci-layout` is read as `oci:`;
    /// a bare path to a tar holding `oci-layout` as `oci-archive:`, else one holding
    /// `manifest.json` as `docker-archive:` (only the tar headers are read to tell).
    pub fn parse(text: &str) -> Result<Reference, SourceError> {
        let nonempty = |what: &str, s: &str| -> Result<(), SourceError> {
            if s.is_empty() {
                Err(SourceError::Reference(format!(
                    "{text:?}: the {what} is empty; write e.g. oci:./image-dir:latest"
                )))
            } else {
                Ok(())
            }
        };
        let split = |rest: &str| -> (PathBuf, Option<String>) {
            match rest.split_once(':') {
                Some((p, r)) if !r.is_empty() => (PathBuf::from(p), Some(r.to_string())),
                Some((p, _)) => (PathBuf::from(p), None),
                None => (PathBuf::from(rest), None),
            }
        };
        if let Some(rest) = text.strip_prefix("oci:") {
            let (dir, reference) = split(rest);
            nonempty("directory", &dir.to_string_lossy())?;
            return Ok(Reference::Oci { dir, reference });
        }
        if let Some(rest) = text.strip_prefix("oci-archive:") {
            let (file, reference) = split(rest);
            nonempty("archive path", &file.to_string_lossy())?;
            return Ok(Reference::OciArchive { file, reference });
        }
        if let Some(rest) = text.strip_prefix("docker-archive:") {
            let (file, image) = split(rest);
            nonempty("archive path", &file.to_string_lossy())?;
            return Ok(Reference::DockerArchive { file, image });
        }
        for engine in [EngineKind::Docker, EngineKind::Podman] {
            if let Some(image) = text
                .strip_prefix(engine.transport())
                .and_then(|r| r.strip_prefix(':'))
            {
                if image.is_empty() {
                    return Err(SourceError::Reference(format!(
                        "{text:?}: the image name is empty; write e.g. {}:myapp:latest (or `archlens local` to list them)",
                        engine.transport()
                    )));
                }
                return Ok(Reference::Engine {
                    engine,
                    image: image.to_string(),
                });
            }
        }
        for other in ["dir:", "containers-storage:", "sif:", "tarball:"] {
            if text.starts_with(other) {
                return Err(SourceError::Reference(format!(
                    "{text:?}: the {} transport is not supported; copy the image first, e.g. `skopeo copy {text} oci:./image:latest`",
                    other.trim_end_matches(':')
                )));
            }
        }
        if let Some(rest) = text.strip_prefix("docker://") {
            return Ok(Reference::Registry(rest.to_string()));
        }
        let path = Path::new(text);
        if path.is_dir() && path.join("oci-layout").is_file() {
            return Ok(Reference::Oci {
                dir: path.to_path_buf(),
                reference: None,
            });
        }
        // A bare tar file: an OCI layout inside wins over manifest.json, since Docker 25+
        // archives hold both and the layout keeps the original manifests and digests.
        if path.is_file()
            && let Ok(store) = super::archive::TarStore::index(path)
        {
            if store.contains("oci-layout") {
                return Ok(Reference::OciArchive {
                    file: path.to_path_buf(),
                    reference: None,
                });
            }
            if store.contains("manifest.json") {
                return Ok(Reference::DockerArchive {
                    file: path.to_path_buf(),
                    image: None,
                });
            }
        }
        if text.is_empty() {
            return Err(SourceError::Reference(
                "empty image reference; write e.g. oci:./image-dir:latest or docker-archive:image.tar"
                    .to_string(),
            ));
        }
        Ok(Reference::Registry(text.to_string()))
    }
}

/// The transport prefixes that name files on this machine rather than a registry.
const LOCAL_TRANSPORTS: [&str; 5] = [
    "oci:",
    "oci-archive:",
    "docker-archive:",
    "docker-daemon:",
    "podman:",
];

/// True when `text` names a local layout or archive by its transport prefix. Only the text
/// is looked at (no file is touched), so a bare path counts as not local.
pub fn is_local(text: &str) -> bool {
    LOCAL_TRANSPORTS.iter().any(|p| text.starts_with(p))
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, path, extra) = match self {
            Reference::Oci { dir, reference } => ("oci", dir, reference),
            Reference::OciArchive { file, reference } => ("oci-archive", file, reference),
            Reference::DockerArchive { file, image } => ("docker-archive", file, image),
            Reference::Registry(r) => return f.write_str(r),
            Reference::Engine { engine, image } => {
                return write!(f, "{}:{image}", engine.transport());
            }
        };
        write!(f, "{prefix}:{}", path.display())?;
        if let Some(e) = extra {
            write!(f, ":{e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_references_are_told_by_their_prefix() {
        assert!(is_local("oci:assets/demo:good"));
        assert!(is_local("oci-archive:img.tar"));
        assert!(is_local("docker-archive:img.tar:app:v1"));
        assert!(!is_local("docker://alpine"));
        assert!(!is_local("127.0.0.1:5000/app:v1"));
    }

    #[test]
    fn transports() {
        assert_eq!(
            Reference::parse("oci:/tmp/x:latest").unwrap(),
            Reference::Oci {
                dir: "/tmp/x".into(),
                reference: Some("latest".into())
            }
        );
        assert_eq!(
            Reference::parse("oci-archive:img.tar").unwrap(),
            Reference::OciArchive {
                file: "img.tar".into(),
                reference: None
            }
        );
        assert_eq!(
            Reference::parse("docker-archive:a.tar:localhost:5000/app:v1").unwrap(),
            Reference::DockerArchive {
                file: "a.tar".into(),
                image: Some("localhost:5000/app:v1".into())
            }
        );
        assert_eq!(
            Reference::parse("public.ecr.aws/x/y:1").unwrap(),
            Reference::Registry("public.ecr.aws/x/y:1".into())
        );
        assert_eq!(
            Reference::parse("docker://alpine").unwrap(),
            Reference::Registry("alpine".into())
        );
        assert!(Reference::parse("oci:").is_err());
        assert!(Reference::parse("containers-storage:x").is_err());
        assert_eq!(
            Reference::parse("docker-daemon:localhost:5000/app:v1").unwrap(),
            Reference::Engine {
                engine: EngineKind::Docker,
                image: "localhost:5000/app:v1".into()
            }
        );
        assert_eq!(
            Reference::parse("podman:sha256:3e39").unwrap().to_string(),
            "podman:sha256:3e39"
        );
        assert!(Reference::parse("docker-daemon:").is_err());
        assert!(is_local("docker-daemon:app"));
        assert_eq!(
            Reference::parse("docker-archive:a.tar:x:y")
                .unwrap()
                .to_string(),
            "docker-archive:a.tar:x:y"
        );
    }
}

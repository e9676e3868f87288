//! Credentials from Docker's config: `auths` entries, `credHelpers` and `credsStore`, read the
//! way `docker login` leaves them. Secrets never print.

use std::path::PathBuf;

use base64::Engine as _;

use crate::source::dockerref;

/// A secret that never prints.
#[derive(Clone)]
pub(super) struct Secret(pub(super) String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug)]
pub(super) struct BasicCreds {
    pub(super) user: String,
    pub(super) pass: Secret,
}

impl BasicCreds {
    pub(super) fn header(&self) -> String {
        let raw = format!("{}:{}", self.user, self.pass.0);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// Docker's stored credentials for the first of `names` that has any: `auths` entries
/// (`auth` = base64 user:password), `credHelpers`, then `credsStore`.
pub(super) fn docker_credentials(path: Option<PathBuf>, names: &[String]) -> Option<BasicCreds> {
    let path = path.or_else(|| {
        std::env::var_os("DOCKER_CONFIG")
            .map(|d| PathBuf::from(d).join("config.json"))
            .or_else(|| dirs::home_dir().map(|h| h.join(".docker").join("config.json")))
    })?;
    let text = std::fs::read(&path).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    for name in names {
        let keys = auth_keys(name);
        if let Some(helper) = v
            .get("credHelpers")
            .and_then(|h| h.as_object())
            .and_then(|h| keys.iter().find_map(|k| h.get(k)))
            .and_then(|s| s.as_str())
            && let Some(c) = run_helper(helper, name)
        {
            return Some(c);
        }
        if let Some(c) = stored_auth(&v, &keys) {
            return Some(c);
        }
        if let Some(store) = v.get("credsStore").and_then(|s| s.as_str())
            && let Some(c) = run_helper(store, name)
        {
            return Some(c);
        }
    }
    None
}

/// The `auths` entry of a parsed config.json for any of `keys`: `auth` (base64 user:password)
/// first, else `username`/`password`.
pub(super) fn stored_auth(v: &serde_json::Value, keys: &[String]) -> Option<BasicCreds> {
    let auths = v.get("auths")?.as_object()?;
    let e = auths.iter().find_map(|(k, e)| {
        let host = k
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or("");
        keys.iter()
            .any(|want| want == host || want == k)
            .then_some(e)
    })?;
    if let Some(a) = e.get("auth").and_then(|a| a.as_str())
        && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(a.trim())
        && let Ok(s) = String::from_utf8(raw)
        && let Some((u, p)) = s.split_once(':')
    {
        return Some(BasicCreds {
            user: u.to_string(),
            pass: Secret(p.to_string()),
        });
    }
    let u = e.get("username").and_then(|x| x.as_str())?;
    let p = e.get("password").and_then(|x| x.as_str())?;
    Some(BasicCreds {
        user: u.to_string(),
        pass: Secret(p.to_string()),
    })
}

pub(super) fn auth_keys(name: &str) -> Vec<String> {
    if name == dockerref::DOCKER_HUB || name == "registry-1.docker.io" || name == "index.docker.io"
    {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ]
    } else {
        vec![name.to_string()]
    }
}

/// Runs `docker-credential-<helper> get` with the server on stdin (Docker's protocol).
fn run_helper(helper: &str, server: &str) -> Option<BasicCreds> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if helper.is_empty()
        || !helper
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
    {
        return None;
    }
    let server = if server == dockerref::DOCKER_HUB || server == "registry-1.docker.io" {
        "https://index.docker.io/v1/"
    } else {
        server
    };
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let user = v.get("Username")?.as_str()?.to_string();
    let pass = v.get("Secret")?.as_str()?.to_string();
    Some(BasicCreds {
        user,
        pass: Secret(pass),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_auths_and_secrets_do_not_print() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            &path,
            format!(r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},"127.0.0.1:5000":{{"username":"bob","password":"pw"}}}}}}"#),
        )
        .unwrap();
        let c = docker_credentials(Some(path.clone()), &["docker.io".into()]).unwrap();
        assert_eq!(c.user, "alice");
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = docker_credentials(Some(path.clone()), &["127.0.0.1:5000".into()]).unwrap();
        assert_eq!(c.user, "bob");
        assert!(docker_credentials(Some(path), &["ghcr.io".into()]).is_none());
    }
}

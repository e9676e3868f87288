//! A real docker-registry per test (optionally with htpasswd Basic auth), skopeo pushes to
//! it, and Docker config files that grant access.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::*;

/// A docker-registry on 127.0.0.1 with its own config, storage and optional htpasswd.
pub struct Registry {
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub creds: Option<(String, String)>,
    child: Child,
}

impl Registry {
    pub fn start(creds: Option<(&str, &str)>) -> Registry {
        let s = services();
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut auth = String::new();
        if let Some((user, pass)) = creds {
            let htp = dir.path().join("htpasswd");
            let st = Command::new(&s.htpasswd)
                .args(["-Bbc"])
                .arg(&htp)
                .args([user, pass])
                .stderr(Stdio::null())
                .status()
                .expect("run htpasswd (apt-get install apache2-utils)");
            assert!(st.success(), "htpasswd failed");
            auth = format!(
                "auth:\n  htpasswd:\n    realm: archlens-test\n    path: {}\n",
                htp.display()
            );
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: false\nhttp:\n  addr: {addr}\n{auth}",
            dir.path().join("data").display()
        );
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).expect("write registry config");
        let mut child = Command::new(&s.docker_registry)
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        wait_http(&addr, "/v2/", &mut child, "docker-registry");
        Registry {
            addr,
            dir,
            creds: creds.map(|(u, p)| (u.to_string(), p.to_string())),
            child,
        }
    }

    /// Pushes every image of an OCI layout (`tag` names the layout's ref) with skopeo.
    pub fn push(&self, layout: &Path, tag: &str, dest: &str) {
        push_with(
            layout,
            tag,
            &format!("{}/{dest}", self.addr),
            self.creds.as_ref(),
        );
    }
}

pub fn push_with(layout: &Path, tag: &str, dest: &str, creds: Option<&(String, String)>) {
    let mut cmd = Command::new(&services().skopeo);
    cmd.args([
        "--insecure-policy",
        "copy",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
    ]);
    if let Some((u, p)) = creds {
        cmd.arg(format!("--dest-creds={u}:{p}"));
    }
    cmd.arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{dest}"));
    let out = cmd.output().expect("run skopeo (apt-get install skopeo)");
    assert!(
        out.status.success(),
        "skopeo copy to {dest} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Docker config file granting `user:pass` for `host`.
pub fn docker_config(dir: &Path, host: &str, user: &str, pass: &str) -> PathBuf {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let p = dir.join("docker-config.json");
    let mut auths = BTreeMap::new();
    auths.insert(host.to_string(), serde_json::json!({ "auth": auth }));
    std::fs::write(&p, serde_json::json!({ "auths": auths }).to_string())
        .expect("write docker config");
    p
}

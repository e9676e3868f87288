//! Docker credential helpers (`credHelpers`, `credsStore`) against a real docker-registry
//! with htpasswd auth. One test function: it puts a helper script first on PATH.

mod support_registry;

use std::os::unix::fs::PermissionsExt;

use archlens::source::registry::{RegistryOptions, open_registry};
use support_registry::{Registry, demo, push_demo};

#[test]
fn credential_helpers_supply_basic_auth() {
    let reg = Registry::start(Some(("helper-user", "helper-pass")));
    let d = demo();
    push_demo(&d, &reg.addr, "demo", reg.creds.as_ref());

    // A helper speaking Docker's protocol: server URL on stdin, JSON on stdout, and a
    // failure for servers it does not know. It logs what it was asked to a file.
    let bin = tempfile::tempdir().expect("tempdir");
    let log = bin.path().join("asked");
    let script = format!(
        "#!/bin/sh\nread server\necho \"$1 $server\" >> {log}\nif [ \"$server\" = \"{addr}\" ]; then\n  echo '{{\"ServerURL\":\"{addr}\",\"Username\":\"helper-user\",\"Secret\":\"helper-pass\"}}'\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n",
        log = log.display(),
        addr = reg.addr
    );
    for name in ["docker-credential-archtest", "docker-credential-archstore"] {
        let p = bin.path().join(name);
        std::fs::write(&p, &script).expect("write helper");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // SAFETY: the only test in this binary; no other thread reads the environment now.
    unsafe { std::env::set_var("PATH", path) };

    let cfg = tempfile::tempdir().expect("tempdir");
    let reference = format!("{}/demo:zstd", reg.addr);
    for config in [
        format!(r#"{{"credHelpers":{{"{}":"archtest"}}}}"#, reg.addr),
        r#"{"credsStore":"archstore"}"#.to_string(),
    ] {
        let file = cfg.path().join("config.json");
        std::fs::write(&file, &config).expect("write docker config");
        let o = RegistryOptions {
            docker_config: Some(file),
            ..RegistryOptions::default()
        };
        let src = open_registry(&reference, &o).expect("open");
        let root = src.root().unwrap_or_else(|e| panic!("with {config}: {e}"));
        assert_eq!(root.bytes, d.zstd_image.bytes);
    }
    let asked = std::fs::read_to_string(&log).expect("helper never ran");
    assert!(asked.contains(&format!("get {}", reg.addr)), "{asked}");
}

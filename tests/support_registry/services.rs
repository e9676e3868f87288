//! The real tools the tests start (docker-registry, skopeo, htpasswd, moto_server), found or
//! installed by `scripts/services.sh`, and loopback ports to start them on.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Paths of the real tools, from `scripts/services.sh` (which installs them if missing).
pub struct Services {
    pub docker_registry: PathBuf,
    pub skopeo: PathBuf,
    pub htpasswd: PathBuf,
    pub moto_server: PathBuf,
}

pub fn services() -> &'static Services {
    static S: OnceLock<Services> = OnceLock::new();
    S.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg(root.join("scripts/services.sh"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run scripts/services.sh: {e}"));
        assert!(
            out.status.success(),
            "scripts/services.sh failed; it installs docker-registry, skopeo, apache2-utils (apt) and moto[server] (pip, into target/moto-venv). Run it by hand to see why:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let get = |k: &str| {
            let p = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("scripts/services.sh did not print {k}=: {text}"));
            let p = PathBuf::from(p.trim());
            assert!(p.exists(), "{k} {} does not exist; run scripts/services.sh", p.display());
            p
        };
        Services {
            docker_registry: get("DOCKER_REGISTRY"),
            skopeo: get("SKOPEO"),
            htpasswd: get("HTPASSWD"),
            moto_server: get("MOTO_SERVER"),
        }
    })
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local addr").port()
}

/// Waits until `addr` answers an HTTP GET of `path` with any status line.
pub fn wait_http(addr: &str, path: &str, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not answer on {addr} within 30 s");
}

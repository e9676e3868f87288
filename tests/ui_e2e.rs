//! End to end: the real `archlens demo` binary in a pseudo-terminal, driven by keys, read back
//! through a terminal emulator (vt100), as a newcomer would use it.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

mod support_registry;
mod ui_support;

struct Session {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    /// HOME, config and cache of the child; removed when the session ends.
    _home: tempfile::TempDir,
}

impl Session {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_archlens"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        // Keep the user's keymap and caches out of the test.
        let home = tempfile::tempdir().expect("temp home");
        cmd.env("HOME", home.path());
        cmd.env("XDG_CONFIG_HOME", home.path());
        cmd.env("XDG_CACHE_HOME", home.path());
        for v in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_ENDPOINT_URL_ECR",
            "AWS_ENDPOINT_URL",
            "NO_COLOR",
        ] {
            cmd.env_remove(v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn archlens");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZero::new(40).unwrap(),
            std::num::NonZero::new(120).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        {
            let screen = Arc::clone(&screen);
            let raw = Arc::clone(&raw);
            std::thread::spawn(move || {
                let _keep_master_open = pair.master;
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    screen.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
        Session {
            screen,
            raw,
            writer,
            child,
            _home: home,
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until every needle is on screen, or fails showing the screen.
    fn wait_for(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let t = self.text();
            if needles.iter().all(|n| t.contains(n)) {
                return t;
            }
            if Instant::now() > deadline {
                panic!("waited 30 s for {needles:?}; the screen shows:\n{t}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until one line of the screen holds every needle.
    fn wait_line(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let t = self.text();
            if t.lines().any(|l| needles.iter().all(|n| l.contains(n))) {
                return t;
            }
            if Instant::now() > deadline {
                panic!("waited 30 s for a line with {needles:?}; the screen shows:\n{t}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        // One key at a time, as people type: lets each frame settle.
        std::thread::sleep(Duration::from_millis(150));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("archlens did not exit; the screen shows:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn newcomer_finds_the_image_that_fails_on_app_runner_and_quits_cleanly() {
    let mut s = Session::start(&["demo"], &[]);
    // The demo is one repository: it opens on its images.
    s.wait_for(&["Images in demo", "target:apprunner"]);
    s.wait_for(&["ON APPRUNNER"]);
    // The demo is on local disk: badges are settled from the files without a key press.
    s.wait_line(&["mac-arm64", "FAIL", "entrypoint arch"]);
    s.wait_line(&["good", "PASS", "files checked"]);
    // Down to mac-arm64 (the second ref of the demo layout) and open it.
    s.keys("j");
    s.keys("\r");
    let image = s.wait_for(&["FAIL on apprunner", "exec format error"]);
    assert!(
        image.contains("/usr/local/bin/docker-entrypoint.sh") || image.contains("/bin/busybox"),
        "the offending path is on screen:\n{image}"
    );
    // The verdict for every target; the fix is there to copy.
    s.keys("v");
    let verdict = s.wait_for(&["The runtime will print", "fix:"]);
    assert!(verdict.contains("exec format error"), "{verdict}");
    // Switch the target to graviton (the last profile) with the picker.
    s.keys("t");
    s.wait_for(&["Deploy target"]);
    s.keys("G");
    s.keys("\r");
    let switched = s.wait_for(&["target:graviton"]);
    assert!(
        switched.contains("PASS"),
        "mac-arm64 runs on Graviton:\n{switched}"
    );
    s.keys("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let raw = s.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.contains("\x1b[?1049h"),
        "the alternate screen was entered"
    );
    let left = raw
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    assert!(left > raw.rfind("\x1b[?1049h").unwrap());
    assert!(!s.screen.lock().unwrap().screen().alternate_screen());
    assert!(
        !s.screen.lock().unwrap().screen().hide_cursor(),
        "the cursor is shown again"
    );
}

#[test]
fn d_on_the_mislabeled_index_proves_the_mislabel_by_the_bytes() {
    let mut s = Session::start(&["demo"], &[]);
    s.wait_line(&["mislabeled", "PASS"]);
    // mislabeled is the third ref of the demo layout.
    s.keys("jj");
    s.keys("\r");
    s.wait_for(&["Index mislabeled", "linux/arm64"]);
    // d marks A (the selected amd64 entry); d again compares it with arm64.
    s.keys("d");
    s.wait_for(&["A▸ linux/amd64"]);
    s.keys("d");
    let page = s.wait_for(&["Diff mislabeled", "mislabeled-platform"]);
    assert!(
        page.contains("the linux/arm64 entry holds amd64 binaries"),
        "{page}"
    );
    s.wait_line(&[" = ", "amd64", "/usr/local/bin/server"]);
    // Esc is back on the index; q quits cleanly.
    s.keys("\x1b");
    s.wait_for(&["Index mislabeled", "d diff"]);
    s.keys("q");
    assert!(s.wait_exit().success());
}

#[test]
fn no_aws_credentials_says_so_and_points_at_the_demo() {
    // A fresh HOME has no ~/.aws; the AWS variables of the machine are removed.
    let mut s = Session::start(&[], &[("AWS_REGION", "eu-west-1")]);
    let t = s.wait_for(&["No AWS credentials", "archlens demo"]);
    assert!(t.contains("aws configure"), "{t}");
    assert!(
        t.contains("region:eu-west-1"),
        "the header shows the region:\n{t}"
    );
    s.keys("q");
    assert!(s.wait_exit().success());
}

/// Foreground or background colour sequences (SGR 30-49, 90-107, 38;5/38;2 forms).
fn has_colour(raw: &str) -> bool {
    raw.split("\x1b[").skip(1).any(|seq| {
        let Some(end) = seq.find('m') else {
            return false;
        };
        let params = &seq[..end];
        params.chars().all(|c| c.is_ascii_digit() || c == ';')
            && params
                .split(';')
                .any(|p| matches!(p.parse::<u16>(), Ok(30..=49) | Ok(90..=107)))
    })
}

#[test]
fn no_color_turns_colours_off() {
    for (no_color, want) in [(false, true), (true, false)] {
        let env: &[(&str, &str)] = if no_color { &[("NO_COLOR", "1")] } else { &[] };
        let mut s = Session::start(&["demo"], env);
        s.wait_for(&["Images in demo"]);
        s.wait_for(&["mac-arm64", "FAIL"]);
        s.keys("q");
        assert!(s.wait_exit().success());
        let raw = String::from_utf8_lossy(&s.raw.lock().unwrap()).into_owned();
        assert_eq!(
            has_colour(&raw),
            want,
            "NO_COLOR={no_color}: colour sequences present = {}",
            has_colour(&raw)
        );
    }
}

#[test]
fn a_panic_gives_the_terminal_back_and_says_why() {
    // Debug builds panic on purpose after the first frame when this variable is set.
    let mut s = Session::start(&["demo"], &[("ARCHLENS_UI_TEST_PANIC", "1")]);
    let status = s.wait_exit();
    assert!(!status.success(), "a panic is a failure: {status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let raw = String::from_utf8_lossy(&s.raw.lock().unwrap()).into_owned();
    let entered = raw
        .find("\x1b[?1049h")
        .expect("the alternate screen was entered");
    let left = raw
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    assert!(left > entered);
    let screen = s.screen.lock().unwrap();
    assert!(!screen.screen().alternate_screen());
    assert!(!screen.screen().hide_cursor(), "the cursor is shown again");
    let text = screen.screen().contents();
    assert!(
        text.contains("ARCHLENS_UI_TEST_PANIC"),
        "the panic message is readable on the normal screen:\n{text}"
    );
}

/// The real binary's first screen agrees with `check --format json` for every demo image
/// and built-in target (the TestBackend side of this is tests/ui_truth.rs).
#[test]
fn the_first_screen_agrees_with_check_for_every_target() {
    let mut want: Vec<(String, String, String)> = Vec::new();
    for tag in ui_support::DEMO_TAGS {
        for r in ui_support::check_demo(tag) {
            want.push((
                tag.to_string(),
                r["target"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_uppercase(),
            ));
        }
    }
    let targets: Vec<String> = want.iter().map(|w| w.1.clone()).collect();
    let mut seen = std::collections::BTreeSet::new();
    for target in targets.iter().filter(|t| seen.insert((*t).clone())) {
        let mut s = Session::start(&["demo", "--target", target], &[]);
        s.wait_for(&[&format!("target:{target}")]);
        for (tag, _, word) in want.iter().filter(|w| &w.1 == target) {
            // `│tag ` starts the row: `good` must not match `│goodbye`.
            let t = s.wait_line(&[&format!("│{tag} "), word]);
            let line = t.lines().find(|l| l.contains(&format!("│{tag} "))).unwrap();
            assert!(!line.contains("? "), "{tag} on {target} is settled:\n{t}");
        }
        s.keys("q");
        assert!(s.wait_exit().success());
    }
    assert_eq!(seen.len(), 6, "every built-in target");
}

#[test]
fn a_registry_that_keeps_us_waiting_is_named_on_the_status_line() {
    // The real registry behind the fault proxy, whose tag list answers 8 s late.
    let reg = support_registry::Registry::start(None);
    reg.push(&ui_support::demo_dir(), "good", "demo/app:good");
    let proxy = support_registry::Proxy::start(&reg.addr);
    proxy.add(
        "/tags/list",
        support_registry::Fault::Delay(Duration::from_secs(8)),
        None,
    );
    let mut s = Session::start(&["browse", &proxy.addr], &[]);
    s.wait_for(&["demo/app"]);
    s.keys("\r");
    s.wait_line(&["waiting for", &proxy.addr, "tag list of demo/app"]);
    // The answer comes: the notice goes, the tag is listed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.text().contains("waiting for") {
        assert!(Instant::now() < deadline, "the notice stays:\n{}", s.text());
        std::thread::sleep(Duration::from_millis(100));
    }
    s.wait_for(&["good"]);
    eprintln!(
        "tag list requests: {}",
        proxy
            .seen()
            .iter()
            .filter(|r| r.path.contains("/tags/list"))
            .count()
    );
    s.keys("q");
    assert!(s.wait_exit().success());
}

#[test]
fn regex_filter_file_viewer_and_command_history_across_runs() {
    // The two runs share a cache directory, where the `:` history is kept.
    let cache = tempfile::tempdir().expect("temp cache");
    let cache_dir = cache.path().to_str().expect("utf-8 path");
    let mut s = Session::start(&["demo"], &[("XDG_CACHE_HOME", cache_dir)]);
    s.wait_line(&["mac-arm64", "FAIL", "entrypoint arch"]);
    // `!` inverts: everything that does not fail App Runner.
    s.keys("/");
    s.keys("!FAIL");
    let passing = s.wait_for(&["Images in demo /!FAIL"]);
    assert!(
        passing.contains("lambda-ok") && !passing.contains("mac-arm64"),
        "{passing}"
    );
    s.keys("\x1b");
    s.wait_line(&["mac-arm64", "FAIL"]);
    // Open mac-arm64, go to its entrypoint script with :go and Tab, and read it.
    s.keys("j");
    s.keys("\r");
    s.wait_for(&["FAIL on apprunner"]);
    s.keys(":");
    s.keys("go /usr/local/bin/dock");
    s.keys("\t");
    s.wait_for(&[":go /usr/local/bin/docker-entrypoint.sh"]);
    s.keys("\r");
    s.keys("\r");
    s.wait_for(&[
        "(y copies the path",
        "#!/bin/sh",
        "exec /usr/local/bin/server",
    ]);
    s.keys("\x1b");
    s.keys(":");
    s.keys("target graviton\r");
    s.wait_for(&["target:graviton"]);
    s.keys("q");
    assert!(s.wait_exit().success());
    let kept = std::fs::read_to_string(cache.path().join("archlens/command-history"))
        .expect("the history is kept in the cache directory");
    assert_eq!(
        kept.lines().collect::<Vec<_>>(),
        ["go /usr/local/bin/docker-entrypoint.sh", "target graviton"]
    );

    // The next run recalls it with Up.
    let mut s = Session::start(&["demo"], &[("XDG_CACHE_HOME", cache_dir)]);
    s.wait_for(&["Images in demo", "target:apprunner"]);
    s.keys(":");
    s.keys("\x1b[A");
    s.wait_for(&[":target graviton"]);
    s.keys("\r");
    s.wait_for(&["target:graviton"]);
    s.keys("q");
    assert!(s.wait_exit().success());
}

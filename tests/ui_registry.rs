//! The registry screens against a real registry: Debian's docker-registry on loopback, with
//! two demo images pushed by skopeo (`scripts/services.sh` installs both, or says how).

mod support_registry;
mod ui_support;

use archlens::ui::Launch;
use archlens::ui::app::ScreenKind;
use support_registry::Registry;
use ui_support::{Harness, demo_dir};

#[test]
fn browse_a_registry_down_to_the_failing_file() {
    let reg = Registry::start(None);
    for tag in ["good", "mac-arm64"] {
        reg.push(&demo_dir(), tag, &format!("demo/app:{tag}"));
    }
    let mut h = Harness::launch(Launch::Browse {
        registry: reg.addr.clone(),
    });
    let repos = h.render(120, 40);
    assert!(repos.contains("demo/app"), "{repos}");
    h.keys(&["Enter"]);
    // From a registry only manifests are read at first: the label is shown as a hint, never
    // as a verdict, since the runtime runs a single image whatever its label says.
    let images = h.render(120, 40);
    let mac = images
        .lines()
        .find(|l| l.contains("mac-arm64"))
        .unwrap_or_else(|| panic!("mac-arm64 is listed:\n{images}"));
    assert!(
        mac.contains("? labelled arm64") && !mac.contains("FAIL"),
        "{images}"
    );
    // `c` reads the files of every listed image: now the badges are verdicts.
    h.keys(&["c"]);
    let images = h.render(120, 40);
    let mac = images
        .lines()
        .find(|l| l.contains("mac-arm64"))
        .unwrap_or_else(|| panic!("mac-arm64 is listed:\n{images}"));
    assert!(mac.contains("FAIL"), "{images}");
    let good = images
        .lines()
        .find(|l| l.contains("good"))
        .unwrap_or_else(|| panic!("good is listed:\n{images}"));
    assert!(
        good.contains("amd64 arm64") && good.contains("PASS"),
        "{images}"
    );
    h.select_tag("mac-arm64");
    h.keys(&["Enter"]);
    let image = h.render(120, 40);
    assert!(
        matches!(h.app.screen().map(|s| &s.kind), Some(ScreenKind::Image(_))),
        "{image}"
    );
    assert!(
        image.contains("FAIL on apprunner") && image.contains("exec format error"),
        "{image}"
    );
}

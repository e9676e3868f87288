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
    // No automatic check here (its own test is below): the hint before `c` is looked at.
    h.app.set_auto_budget(0);
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

/// The row of `tag` in a rendered images list.
fn row_of(screen: &str, tag: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(&format!("│{tag} ")))
        .unwrap_or_else(|| panic!("{tag} is listed:\n{screen}"))
        .to_string()
}

#[test]
fn images_on_screen_get_file_based_badges_within_the_budget() {
    let reg = Registry::start(None);
    for tag in ["good", "mac-arm64"] {
        reg.push(&demo_dir(), tag, &format!("demo/app:{tag}"));
    }
    // The default budget (300 MB) covers both demo images: verdicts without pressing `c`.
    let mut h = Harness::launch(Launch::Browse {
        registry: reg.addr.clone(),
    });
    h.keys(&["Enter"]);
    let images = h.render(120, 40);
    assert!(row_of(&images, "mac-arm64").contains("FAIL"), "{images}");
    assert!(row_of(&images, "good").contains("PASS"), "{images}");
    assert!(
        images.contains("auto-check: ") && images.contains(" of 300.0 MB used "),
        "the budget is shown:\n{images}"
    );
    assert!(!images.contains("left unread"), "{images}");

    // A budget smaller than any image reads nothing, and says so at 80 columns too.
    let mut h = Harness::launch(Launch::Browse {
        registry: reg.addr.clone(),
    });
    h.app.set_auto_budget(1000);
    h.keys(&["Enter"]);
    let images = h.render(80, 24);
    assert!(
        row_of(&images, "mac-arm64").contains("? labelled arm64"),
        "{images}"
    );
    assert!(
        images.contains("auto-check: 0 B of 1.0 kB used; 2 images left unread: c checks all"),
        "{images}"
    );
    h.keys(&["c"]);
    let images = h.render(80, 24);
    assert!(row_of(&images, "mac-arm64").contains("FAIL"), "{images}");
    assert!(!images.contains("left unread"), "{images}");
}

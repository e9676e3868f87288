//! What the explorer shows of ECR beyond counts: tag mutability and pull-through upstreams on
//! the repositories screen, scan findings on the images screen, at 80x24 and 120x40. The rows
//! are what [`archlens::catalog`] lists from ECR (tests/ecr_repo_fields.rs checks that against
//! moto), fixed here so the snapshots hold still; the images are the demo layout's, read for real.

mod ui_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use archlens::catalog::{Catalog, ImageRow, LayoutCatalog, RepoRow};
use archlens::source::ImageSource;
use archlens::ui::app::Origin;
use ui_support::{Harness, demo_dir};

/// Three repositories as ECR describes them, and the demo's images with ECR's push times and
/// scan summaries (two scanned, one clean, the rest not scanned).
struct EcrRows {
    demo: LayoutCatalog,
}

fn repo(name: &str, mutability: &str, upstream: Option<&str>) -> RepoRow {
    RepoRow {
        name: name.into(),
        images: Some(7),
        last_push: Some("2026-11-30T09:12:00Z".into()),
        created: Some("2026-01-15T08:00:00Z".into()),
        tag_mutability: Some(mutability.into()),
        pull_through_upstream: upstream.map(str::to_string),
    }
}

impl Catalog for EcrRows {
    fn describe(&self) -> String {
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com".into()
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        Ok(vec![
            repo("demo", "IMMUTABLE_WITH_EXCLUSION", None),
            repo(
                "docker-hub/library/nginx",
                "MUTABLE",
                Some("registry-1.docker.io"),
            ),
            repo("team/api", "IMMUTABLE", None),
        ])
    }

    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String> {
        let counts = |c: &[(&str, u64)]| -> BTreeMap<String, u64> {
            c.iter().map(|(k, n)| (k.to_string(), *n)).collect()
        };
        let mut rows = self.demo.images(repository)?;
        for r in &mut rows {
            r.pushed = Some("2026-11-30T09:12:00Z".into());
            r.scan_findings = match r.tags.first().map(String::as_str) {
                Some("good") => Some(counts(&[("CRITICAL", 1), ("HIGH", 3), ("LOW", 0)])),
                Some("mac-arm64") => Some(counts(&[("MEDIUM", 2), ("INFORMATIONAL", 5)])),
                Some("lambda-ok") => Some(counts(&[])),
                _ => None,
            };
        }
        Ok(rows)
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        self.demo.open(image)
    }
}

fn harness() -> Harness {
    let _ = demo_dir();
    let catalog = EcrRows {
        demo: LayoutCatalog::new(Path::new("assets/demo")),
    };
    Harness::with_catalog(
        Arc::new(catalog),
        Origin {
            source: "123456789012.dkr.ecr.eu-west-1.amazonaws.com".into(),
            region: Some("eu-west-1".into()),
            ecr: true,
            ..Origin::default()
        },
    )
}

#[test]
fn repositories_show_tag_mutability_and_pull_through_upstreams() {
    let mut h = harness();
    let wide = h.render(120, 40);
    let head = wide.lines().find(|l| l.contains("NAME")).unwrap_or("");
    assert!(
        head.contains("MUTABILITY") && head.contains("PULL-THROUGH"),
        "both columns fit at 120:\n{wide}"
    );
    let nginx = wide
        .lines()
        .find(|l| l.contains("docker-hub/library/nginx"))
        .unwrap_or("");
    assert!(
        nginx.contains("mutable") && nginx.contains("registry-1.docker.io"),
        "{wide}"
    );
    assert!(
        wide.contains("immutable except filters"),
        "the *_WITH_EXCLUSION mode in words:\n{wide}"
    );
    assert!(
        !wide.contains("└ tags"),
        "no bottom line repeats the columns:\n{wide}"
    );
    insta::assert_snapshot!("ecr_repos_120x40", wide);
    // At 80 columns neither fits: they are in the bottom line, for the selected repository.
    h.keys(&["j"]);
    let small = h.render(80, 24);
    assert!(
        small.contains("└ tags mutable · pull-through cache of registry-1.docker.io ─"),
        "{small}"
    );
    insta::assert_snapshot!("ecr_repos_80x24", small);
}

#[test]
fn images_show_the_selected_images_scan_findings() {
    let mut h = harness();
    h.keys(&["Enter"]);
    let wide = h.render(120, 40);
    assert!(
        wide.contains("scan findings of good: 1 critical, 3 high"),
        "the first row is selected:\n{wide}"
    );
    assert!(!wide.contains("0 low"), "zero counts are left out:\n{wide}");
    insta::assert_snapshot!("ecr_images_120x40", wide);
    h.select_tag("mislabeled");
    let small = h.render(80, 24);
    assert!(
        small.contains("mislabeled is not scanned by ECR"),
        "{small}"
    );
    insta::assert_snapshot!("ecr_images_80x24", small);
    h.select_tag("lambda-ok");
    let clean = h.render(80, 24);
    assert!(
        clean.contains("scan findings of lambda-ok: none"),
        "{clean}"
    );
}

#[test]
fn a_click_picks_the_row_drawn_there_above_the_details_line() {
    let mut h = harness();
    h.keys(&["Enter"]);
    h.select_tag("lambda-ok");
    // 80x10: four rows fit above the details line, so the list is scrolled to the last.
    let s = h.render(80, 10);
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines.get(3).is_some_and(|l| l.contains("python-wheel"))
            && lines
                .get(7)
                .is_some_and(|l| l.contains("scan findings of lambda-ok")),
        "{s}"
    );
    let click = |h: &Harness, y: u16| archlens::ui::view::hit::click(&h.app, 10, y);
    assert!(
        click(&h, 7).is_empty(),
        "the details line holds no row: {:?}\n{s}",
        click(&h, 7)
    );
    for a in click(&h, 3) {
        h.app.update(a);
    }
    let s = h.render(80, 10);
    assert!(
        s.contains("scan findings of python-wheel") || s.contains("python-wheel is not scanned"),
        "the row under the click is selected:\n{s}"
    );
}

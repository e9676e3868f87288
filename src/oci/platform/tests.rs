//! The facts of containerd/platforms' test tables (`TestOnly`, `TestParseSelector`,
//! `TestFormatAllEncoding`, `Test_PlatformCompat`, `TestCompareOSFeatures`), checked here.

use super::*;

fn p(s: &str) -> Platform {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn raw(os: &str, arch: &str, variant: Option<&str>) -> Platform {
    Platform::new(os, Arch::new(arch, variant))
}

#[test]
fn normalises_like_containerd() {
    for (input, shown) in [
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm64/v8.0", "linux/arm64"),
        ("linux/arm64/8", "linux/arm64"),
        ("linux/arm64/9", "linux/arm64/v9"),
        ("linux/arm64/v9.0", "linux/arm64/v9"),
        ("linux/arm64/v8.2", "linux/arm64/v8.2"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/arm/5", "linux/arm/v5"),
        ("linux/armhf", "linux/arm/v7"),
        ("linux/armel", "linux/arm/v6"),
        ("linux/x86_64", "linux/amd64"),
        ("linux/x86-64", "linux/amd64"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/amd64/V3", "linux/amd64/v3"),
        ("linux/i386", "linux/386"),
        // containerd knows i386 only; i686 stays a name of its own.
        ("linux/i686", "linux/i686"),
        ("Linux/AMD64", "linux/amd64"),
        ("macOS/arm64", "darwin/arm64"),
        ("linux/s390x", "linux/s390x"),
    ] {
        assert_eq!(p(input).to_string(), shown, "{input}");
    }
}

/// containerd's `TestOnly`: what `platforms.Only(host)` matches.
#[test]
fn hosts_run_what_containerd_only_matches() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "linux/amd64",
            &["linux/amd64", "linux/386"],
            &[
                "linux/amd64/v2",
                "linux/arm/v7",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/amd64/v2",
            &[
                "linux/amd64",
                "linux/amd64/v1",
                "linux/amd64/v2",
                "linux/386",
            ],
            &[
                "linux/amd64/v3",
                "linux/amd64/v4",
                "linux/arm/v7",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/386",
            &["linux/386"],
            &[
                "linux/amd64",
                "linux/arm/v7",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "windows/amd64",
            &["windows/amd64", "windows(10.0.17763)/amd64"],
            &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
        ),
        (
            "linux/arm/v8",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
            ],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v7",
            &["linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v6",
            &["linux/arm/v5", "linux/arm/v6"],
            &[
                "linux/amd64",
                "linux/arm",
                "linux/arm/v4",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v5",
            &["linux/arm/v5"],
            &[
                "linux/amd64",
                "linux/arm",
                "linux/arm/v4",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v4",
            &["linux/arm/v4"],
            &[
                "linux/amd64",
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm64/v9.6",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "linux/arm64/v8",
                "linux/arm64/v8.1",
                "linux/arm64/v8.2",
                "linux/arm64/v8.3",
                "linux/arm64/v8.4",
                "linux/arm64/v8.5",
                "linux/arm64/v8.6",
                "linux/arm64/v8.7",
                "linux/arm64/v8.8",
                "linux/arm64/v8.9",
                "linux/arm64/v9",
                "linux/arm64/v9.0",
                "linux/arm64/v9.1",
                "linux/arm64/v9.2",
                "linux/arm64/v9.3",
                "linux/arm64/v9.4",
                "linux/arm64/v9.5",
                "linux/arm64/v9.6",
            ],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "windows/amd64",
                "windows/arm",
                "linux/arm64/v8.10",
            ],
        ),
        (
            "linux/arm64/v9",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "linux/arm64/v8",
                "linux/arm64/v8.1",
                "linux/arm64/v8.2",
                "linux/arm64/v8.3",
                "linux/arm64/v8.4",
                "linux/arm64/v8.5",
                "linux/arm64/v9",
                "linux/arm64/v9.0",
            ],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "windows/amd64",
                "windows/arm",
                "linux/arm64/v8.6",
            ],
        ),
        (
            "linux/arm64/v8.1",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "linux/arm64/v8",
                "linux/arm64/v8.1",
            ],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm/v9",
                "linux/arm64/v9",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm64",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "linux/arm64/v8",
            ],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm/v9",
                "linux/arm64/v9",
                "windows/amd64",
                "windows/arm",
            ],
        ),
    ];
    for (host, runs, refuses) in cases {
        let h = p(host);
        for c in *runs {
            assert!(h.rank(&p(c)).is_some(), "{host} should run {c}");
        }
        for c in *refuses {
            assert_eq!(h.rank(&p(c)), None, "{host} should refuse {c}");
        }
    }
}

#[test]
fn a_host_prefers_its_own_level_then_the_next_older_one() {
    let order =
        |host: &str| -> Vec<String> { p(host).runnable().iter().map(|p| p.to_string()).collect() };
    assert_eq!(
        order("linux/amd64/v3"),
        [
            "linux/amd64/v3",
            "linux/amd64/v2",
            "linux/amd64",
            "linux/386"
        ]
    );
    assert_eq!(order("linux/amd64"), ["linux/amd64", "linux/386"]);
    assert_eq!(
        order("linux/arm64/v9"),
        [
            "linux/arm64/v9",
            "linux/arm64/v8.5",
            "linux/arm64/v8.4",
            "linux/arm64/v8.3",
            "linux/arm64/v8.2",
            "linux/arm64/v8.1",
            "linux/arm64",
            "linux/arm/v8",
            "linux/arm/v7",
            "linux/arm/v6",
            "linux/arm/v5",
        ]
    );
    assert_eq!(
        order("linux/arm64"),
        [
            "linux/arm64",
            "linux/arm/v8",
            "linux/arm/v7",
            "linux/arm/v6",
            "linux/arm/v5"
        ]
    );
    assert_eq!(
        order("linux/arm/v7"),
        ["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"]
    );
    assert_eq!(order("linux/amd64/v99999999999").len(), 17);
    // containerd has no table row for it, so Only matches nothing at all.
    assert!(order("linux/arm64/v8.10").is_empty());
    let v3 = p("linux/amd64/v3");
    let ranks: Vec<_> = [
        "linux/amd64/v3",
        "linux/amd64/v2",
        "linux/amd64",
        "linux/386",
    ]
    .iter()
    .map(|c| v3.rank(&p(c)))
    .collect();
    assert_eq!(ranks, [Some(0), Some(1), Some(2), Some(3)]);
}

/// containerd's `TestParseSelector`: each specifier, what it parses to, how it prints,
/// and the raw platforms an exact matcher for it accepts.
#[test]
fn parses_every_selector_containerd_parses() {
    let here = parse::local_arch().to_string();
    let on_host = |os: &str| format!("{os}/{here}");
    // (specifier, shown as, os.version, os.features, raw platforms it is exactly)
    type Case<'a> = (
        &'a str,
        String,
        Option<&'a str>,
        &'a [&'a str],
        Vec<Platform>,
    );
    let cases: Vec<Case> = vec![
        (
            "linux/arm64",
            "linux/arm64".into(),
            None,
            &[],
            vec![
                raw("linux", "aarch64", None),
                raw("linux", "aarch64", Some("v8")),
                raw("linux", "arm64", Some("v8")),
            ],
        ),
        (
            "linux/arm64/v8",
            "linux/arm64".into(),
            None,
            &[],
            vec![
                raw("linux", "aarch64", None),
                raw("linux", "aarch64", Some("v8")),
                raw("linux", "arm64", None),
            ],
        ),
        // containerd prints a bare arm as linux/arm; archlens names the v7 it means.
        (
            "linux/arm",
            "linux/arm/v7".into(),
            None,
            &[],
            vec![
                raw("linux", "arm", Some("v7")),
                raw("linux", "armhf", None),
                raw("linux", "arm", Some("7")),
            ],
        ),
        (
            "linux/arm/v6",
            "linux/arm/v6".into(),
            None,
            &[],
            vec![raw("linux", "armel", None)],
        ),
        (
            "linux/arm/v7",
            "linux/arm/v7".into(),
            None,
            &[],
            vec![raw("linux", "arm", None), raw("linux", "armhf", None)],
        ),
        // A single architecture word: containerd takes the local OS, archlens linux.
        ("arm", "linux/arm/v7".into(), None, &[], vec![]),
        ("armel", "linux/arm/v6".into(), None, &[], vec![]),
        ("armhf", "linux/arm/v7".into(), None, &[], vec![]),
        ("Aarch64", "linux/arm64".into(), None, &[], vec![]),
        ("x86_64", "linux/amd64".into(), None, &[], vec![]),
        ("Linux/x86_64", "linux/amd64".into(), None, &[], vec![]),
        ("i386", "linux/386".into(), None, &[], vec![]),
        ("s390x", "linux/s390x".into(), None, &[], vec![]),
        ("linux/s390x", "linux/s390x".into(), None, &[], vec![]),
        // A single OS word: the architecture is this machine's.
        ("linux", on_host("linux"), None, &[], vec![]),
        ("macOS", on_host("darwin"), None, &[], vec![]),
        ("windows", on_host("windows"), None, &[], vec![]),
        ("windows()", on_host("windows"), None, &[], vec![]),
        (
            "windows(10.0.17763)",
            on_host("windows(10.0.17763)"),
            Some("10.0.17763"),
            &[],
            vec![],
        ),
        (
            "windows(10.0.17763+win32k)",
            on_host("windows(10.0.17763+win32k)"),
            Some("10.0.17763"),
            &["win32k"],
            vec![],
        ),
        (
            "linux(+gpu)",
            on_host("linux(+gpu)"),
            None,
            &["gpu"],
            vec![],
        ),
        (
            "linux(+gpu+simd)",
            on_host("linux(+gpu+simd)"),
            None,
            &["gpu", "simd"],
            vec![],
        ),
        // Features are a set: stored and printed sorted.
        (
            "linux(+unsorted+erofs)",
            on_host("linux(+erofs+unsorted)"),
            None,
            &["erofs", "unsorted"],
            vec![],
        ),
        (
            "windows(10.0.17763%2Bbuild.42)",
            on_host("windows(10.0.17763%2Bbuild.42)"),
            Some("10.0.17763+build.42"),
            &[],
            vec![],
        ),
        (
            "windows(10.0.17763%2Bbuild.42+win32k)",
            on_host("windows(10.0.17763%2Bbuild.42+win32k)"),
            Some("10.0.17763+build.42"),
            &["win32k"],
            vec![],
        ),
        (
            "windows(50%25done)",
            on_host("windows(50%25done)"),
            Some("50%done"),
            &[],
            vec![],
        ),
        (
            "windows(10.0.17763)/amd64",
            "windows(10.0.17763)/amd64".into(),
            Some("10.0.17763"),
            &[],
            vec![raw("windows", "amd64", None)],
        ),
        (
            "linux(+gpu)/amd64",
            "linux(+gpu)/amd64".into(),
            None,
            &["gpu"],
            vec![raw("linux", "x86_64", None).with_os_features(["gpu"])],
        ),
    ];
    for (input, shown, version, features, matches) in cases {
        let parsed = p(input);
        assert_eq!(parsed.to_string(), shown, "{input}");
        assert_eq!(parsed.os_version.as_deref(), version, "{input}");
        assert_eq!(parsed.os_features, features, "{input}");
        assert_eq!(parsed.rank(&parsed), Some(0), "{input} runs itself");
        for m in &matches {
            assert_eq!(parsed.rank(m), Some(0), "{input} is {m}");
        }
        assert_eq!(p(&shown), parsed, "{shown} parses back to {input}");
    }
}

/// containerd's `TestParseSelectorInvalid`, its skipped wildcard cases, and words it refuses.
#[test]
fn refuses_what_containerd_refuses() {
    for bad in [
        "",
        "/linux/arm",
        "linux/arm/",
        "linux /arm",
        "linux/&arm",
        "linux/arm/foo/bar",
        "linux/arm/v7/x",
        "linux/",
        "/amd64",
        "linux/a\u{1b}b",
        "*",
        "linux/*",
        "*/arm64",
        // Single words that are neither a known OS nor a known architecture.
        "i686",
        "raspberry",
        // containerd takes these GOARCH names; archlens refuses words no image is built for.
        "s390",
        "sparc64",
        "arm64(+gpu)",
        // Malformed OS options.
        "linux(+)/amd64",
        "linux(++gpu)/amd64",
        "linux(/amd64",
        "linux(a)b/amd64",
        "windows(10%2)/amd64",
        "windows(10%zz)/amd64",
        "lin.ux/amd64",
    ] {
        assert!(bad.parse::<Platform>().is_err(), "{bad:?}");
    }
}

/// containerd's `TestFormatAllEncoding` and `TestFormatAllSkipsEmptyOSFeatures`.
#[test]
fn os_options_print_percent_encoded_and_parse_back() {
    let amd64 = |os: &str, version: &str, features: &[&str]| {
        raw(os, "amd64", None)
            .with_os_version(version)
            .with_os_features(features)
    };
    for (platform, shown) in [
        (
            amd64("windows", "10.0.17763+build.42", &[]),
            "windows(10.0.17763%2Bbuild.42)/amd64",
        ),
        (
            amd64("windows", "10.0.17763+build.42", &["win32k"]),
            "windows(10.0.17763%2Bbuild.42+win32k)/amd64",
        ),
        (amd64("windows", "50%done", &[]), "windows(50%25done)/amd64"),
        (
            amd64("windows", "1.0(beta)", &[]),
            "windows(1.0%28beta%29)/amd64",
        ),
        (amd64("windows", "a/b", &[]), "windows(a%2Fb)/amd64"),
        (
            amd64("windows", "10.0.17763", &[]),
            "windows(10.0.17763)/amd64",
        ),
        (amd64("linux", "", &["feat+v2"]), "linux(+feat%2Bv2)/amd64"),
        (amd64("linux", "", &["100%gpu"]), "linux(+100%25gpu)/amd64"),
        (
            amd64("windows", "10.0+build", &["feat+1"]),
            "windows(10.0%2Bbuild+feat%2B1)/amd64",
        ),
        (
            amd64("linux", "", &["", "gpu", "", "simd"]),
            "linux(+gpu+simd)/amd64",
        ),
        (amd64("linux", "", &[]), "linux/amd64"),
    ] {
        assert_eq!(platform.to_string(), shown);
        assert_eq!(p(shown), platform, "{shown}");
        let json = serde_json::to_string(&platform).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Platform>(&json).ok(), Some(platform));
    }
}

/// containerd's `Test_PlatformCompat`: Windows host build against container image build.
#[test]
fn windows_hosts_run_their_own_build_or_a_stable_abi_ltsc_one() {
    const LTSC2019: u16 = 17763;
    const LTSC2022: u16 = 20348;
    const WIN11_22H2: u16 = 22621;
    const V23H2: u16 = 25398;
    const LTSC2025: u16 = 26100;
    for (host, image, runs) in [
        (LTSC2019, LTSC2019, true),
        (LTSC2019, LTSC2022, false),
        (LTSC2022, LTSC2019, false),
        (LTSC2022, LTSC2022, true),
        (WIN11_22H2, LTSC2019, false),
        (WIN11_22H2, LTSC2022, true),
        (V23H2, LTSC2019, false),
        (V23H2, LTSC2022, true),
        (LTSC2025, LTSC2022, true),
        (LTSC2022, LTSC2025, false),
        (LTSC2022, WIN11_22H2, false),
        (LTSC2025, WIN11_22H2, true),
    ] {
        assert_eq!(
            matcher::windows_build_runs(host, image),
            runs,
            "host {host}, image {image}"
        );
        let host_p = p(&format!("windows(10.0.{host}.1000)/amd64"));
        let image_p = p(&format!("windows(10.0.{image}.2000)/amd64"));
        assert_eq!(host_p.rank(&image_p).is_some(), runs, "{host_p} {image_p}");
    }
    // A different major.minor never runs; an image with no version runs anywhere, and a host
    // with no readable version (containerd's TestFallbackOnOSVersion) runs any.
    let ws2022 = p("windows(10.0.20348)/amd64");
    assert_eq!(ws2022.rank(&p("windows(6.3.20348)/amd64")), None);
    assert_eq!(ws2022.rank(&p("windows/amd64")), Some(0));
    assert_eq!(ws2022.rank(&p("windows(junk)/amd64")), None);
    assert_eq!(
        p("windows(99.99.99.99)/amd64").rank(&p("windows/amd64")),
        Some(0)
    );
    assert_eq!(p("windows(junk)/amd64").rank(&ws2022), Some(0));
    // Linux ignores os.version, and win32k never keeps a Windows entry out.
    assert_eq!(p("linux(5.10)/amd64").rank(&p("linux(6.1)/amd64")), Some(0));
    assert_eq!(ws2022.rank(&p("windows(10.0.20348+win32k)/amd64")), Some(0));
    assert_eq!(p("linux/amd64").rank(&p("linux(+win32k)/amd64")), None);
}

/// containerd's `TestCompareOSFeatures` for `Only`: an entry runs when the host has every
/// feature it asks for; among those, the one asking for more ranks first (ties keep index
/// order, as callers take the first minimum).
#[test]
fn entries_run_when_the_host_has_their_features_and_more_features_rank_first() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "linux/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux(+other)/amd64",
                "linux/arm64",
            ],
            &["linux/amd64"],
        ),
        (
            "linux(+none)/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux/arm64",
                "linux(+other)/amd64",
            ],
            &["linux/amd64"],
        ),
        (
            "linux(+other)/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux/arm64",
                "linux(+other)/amd64",
            ],
            &["linux(+other)/amd64", "linux/amd64"],
        ),
        (
            "linux(+af+other+zf)/amd64",
            &[
                "windows/amd64",
                "linux/amd64",
                "linux/arm64",
                "linux(+other)/amd64",
            ],
            &["linux(+other)/amd64", "linux/amd64"],
        ),
        (
            "linux(+f1+f2)/amd64",
            &[
                "linux/amd64",
                "linux(+f2)/amd64",
                "linux(+f1)/amd64",
                "linux(+f1+f2)/amd64",
            ],
            &[
                "linux(+f1+f2)/amd64",
                "linux(+f2)/amd64",
                "linux(+f1)/amd64",
                "linux/amd64",
            ],
        ),
        (
            "linux(7.2+other)/amd64",
            &[
                "linux/amd64",
                "linux(+other)/amd64",
                "linux(7.1)/amd64",
                "linux(7.2+other)/amd64",
            ],
            &[
                "linux(+other)/amd64",
                "linux(7.2+other)/amd64",
                "linux/amd64",
                "linux(7.1)/amd64",
            ],
        ),
    ];
    for (host, entries, expected) in cases {
        let h = p(host);
        let mut ranked: Vec<(usize, Platform)> = entries
            .iter()
            .filter_map(|e| h.rank(&p(e)).map(|r| (r, p(e))))
            .collect();
        ranked.sort_by_key(|(r, _)| *r);
        let got: Vec<String> = ranked.iter().map(|(_, e)| e.to_string()).collect();
        assert_eq!(got, *expected, "{host}");
    }
    // The host's own platform with all its features is still the exact match.
    let gpu = p("linux(+gpu)/amd64");
    assert_eq!(gpu.rank(&gpu), Some(0));
    assert!(gpu.rank(&p("linux/amd64")) > Some(0));
    assert!(gpu.rank(&p("linux(+gpu)/386")) > gpu.rank(&p("linux/amd64")));
}

#[test]
fn arm64_host_falls_back_to_32_bit_arm_but_amd64_does_not_run_arm() {
    let host = p("linux/arm64");
    assert_eq!(host.rank(&p("linux/arm64")), Some(0));
    assert_eq!(host.rank(&p("linux/arm64/v8")), Some(0));
    assert!(host.rank(&p("linux/arm/v7")).is_some());
    assert_eq!(host.rank(&p("linux/amd64")), None);
    let x86 = p("linux/amd64");
    assert_eq!(x86.rank(&p("linux/arm64")), None);
    assert_eq!(x86.rank(&p("linux/386")), Some(1));
    assert_eq!(x86.rank(&p("windows/amd64")), None);
    assert_eq!(p("linux/arm/v6").rank(&p("linux/arm/v7")), None);
    // The CPU question the rules ask: a plain host is the family's baseline level.
    assert!(!x86.runs_arch(&Arch::new("amd64", Some("v3"))));
    assert!(p("linux/amd64/v3").runs_arch(&Arch::new("x86_64", Some("v2"))));
    assert!(!host.runs_arch(&Arch::new("arm64", Some("v8.2"))));
    assert!(p("linux/arm64/v8.2").runs_arch(&Arch::arm64()));
}

#[test]
fn index_entries_keep_their_os_version_and_features() {
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "size": 1,
            "platform": {
                "architecture": "amd64",
                "os": "windows",
                "os.version": "10.0.20348.3091",
                "os.features": ["win32k"]
            }
        }]
    });
    let bytes = serde_json::to_vec(&index).unwrap();
    let doc = crate::oci::manifest::parse_document(&bytes, None, "index").unwrap();
    let crate::oci::manifest::Document::Index(index) = doc else {
        panic!("not an index")
    };
    let entry = crate::oci::manifest::descriptor_platform(&index.manifests()[0]).unwrap();
    assert_eq!(entry.to_string(), "windows(10.0.20348.3091+win32k)/amd64");
    assert!(p("windows(10.0.26100)/amd64").rank(&entry).is_some());
    assert_eq!(p("windows(10.0.17763)/amd64").rank(&entry), None);
}

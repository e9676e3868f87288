//! Replays every input under `fuzz/regressions/<target>/` through the fuzz harness of that
//! target, on stable: a bug the fuzzer once found stays fixed, with no nightly needed.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

#[test]
fn every_fuzz_target_has_a_harness() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut names: Vec<String> = harness::TARGETS.iter().map(|t| t.0.to_string()).collect();
    names.sort();
    assert_eq!(
        files, names,
        "fuzz/fuzz_targets/*.rs and harness::TARGETS differ"
    );
    for (name, _) in harness::TARGETS {
        let src = std::fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
        assert!(
            src.contains("archlens_fuzz::"),
            "{name}.rs does not call its harness"
        );
    }
}

#[test]
fn regression_inputs_no_longer_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for (name, run) in harness::TARGETS {
        let dir = root.join(name);
        let mut replayed = 0;
        for input in std::fs::read_dir(&dir).unwrap() {
            let input = input.unwrap().path();
            let bytes = std::fs::read(&input).unwrap();
            // A panic names the input through the test's captured output.
            eprintln!("replaying {}", input.display());
            run(&bytes);
            replayed += 1;
        }
        assert!(replayed > 0, "{}: no inputs to replay", dir.display());
    }
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !dir.is_dir() || harness::TARGETS.iter().any(|t| t.0 == name),
            "fuzz/regressions/{name}: no such fuzz target"
        );
    }
}

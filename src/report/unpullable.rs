//! `check` and `inspect` of an image ECR will not serve (archived, being restored): a result
//! of its own, with the command that restores it, instead of a network error.

use serde_json::{Value, json};

use super::Colors;
use crate::source::ecr::{ImageStatus, Unpullable};
use crate::text::{display_time, sanitize};

/// The text result: what the image is, since when, that pulls fail, and what to run.
pub fn unpullable_text(reference: &str, u: &Unpullable, c: &Colors) -> String {
    let since = u
        .since
        .as_deref()
        .map(|t| format!(" since {}", display_time(t)))
        .unwrap_or_default();
    let state = match u.status {
        ImageStatus::Activating => format!("being restored from ECR's archive{since} (ACTIVATING)"),
        _ => format!("archived in ECR{since} (ARCHIVED)"),
    };
    let mut out = format!(
        "{}\n  {} {state}: every pull fails until it is restored, so no target can run it\n",
        c.bold(&sanitize(reference)),
        c.yellow("⏸ UNPULLABLE:")
    );
    match u.status {
        ImageStatus::Activating => out.push_str(
            "  the restore is under way; check again when the image is ACTIVE (minutes to hours)\n",
        ),
        _ => {
            out.push_str(&format!("  restore: {}\n", sanitize(&u.restore_command())));
            out.push_str(
                "  the image reads ACTIVATING until the restore is done, then check it again\n",
            );
        }
    }
    out
}

/// The JSON result, in the shape of `check`/`inspect` (`schema`), with `status` set: each
/// target's verdict is `unpullable`, so a reader of `results` alone never sees a pass.
pub fn unpullable_json(schema: &str, reference: &str, u: &Unpullable, targets: &[&str]) -> Value {
    let message = u.message();
    let results: Vec<Value> = targets
        .iter()
        .map(|t| json!({ "target": t, "verdict": "unpullable", "error": message }))
        .collect();
    json!({
        "schema": schema,
        "image": reference,
        "digest": u.digest,
        "status": "unpullable",
        "image_status": u.status,
        "last_archived_at": u.since,
        "restore_command": (u.status == ImageStatus::Archived).then(|| u.restore_command()),
        "error": message,
        "results": results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archived() -> Unpullable {
        Unpullable {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            repository: "team/app".into(),
            reference: "v1".into(),
            digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                .into(),
            status: ImageStatus::Archived,
            since: Some("2026-11-02T10:00:00Z".into()),
        }
    }

    #[test]
    fn archived_images_say_since_when_and_how_to_restore() {
        let c = Colors {
            enabled: false,
            terminal: false,
        };
        let t = unpullable_text("r/team/app:v1", &archived(), &c);
        assert!(t.contains("archived in ECR since 2026-11-02 10:00"), "{t}");
        assert!(t.contains("restore: aws ecr update-image-storage-class --registry-id 123456789012 --region eu-west-1 --repository-name team/app --image-id imageDigest=sha256:2cf24dba"), "{t}");
        assert!(t.contains("--target-storage-class STANDARD"), "{t}");
        let j = unpullable_json(
            "archlens.check/v1",
            "r/team/app:v1",
            &archived(),
            &["lambda"],
        );
        assert_eq!(j["image_status"], "archived");
        assert_eq!(j["results"][0]["verdict"], "unpullable");
        let mut restoring = archived();
        restoring.status = ImageStatus::Activating;
        let t = unpullable_text("r/team/app:v1", &restoring, &c);
        assert!(
            t.contains("being restored") && !t.contains("restore:"),
            "{t}"
        );
        let j = unpullable_json("archlens.check/v1", "x", &restoring, &[]);
        assert_eq!(j["restore_command"], Value::Null);
    }
}

//! What a verdict is made of: findings, each with a code (part of the JSON contract), the
//! file it names, the line the runtime will print and the fix.

use serde::Serialize;

use crate::oci::Digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

/// Finding codes; part of the JSON contract, so only ever add to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    NoMatchingPlatform,
    IndexNotSupported,
    EntrypointArchMismatch,
    EntrypointNotFound,
    EntrypointNotExecutable,
    InterpreterMissing,
    NativeModuleArchMismatch,
    NativeModuleLibcMismatch,
    GlibcTooOld,
    MislabeledPlatform,
    ForeignBinary,
    PlatformFallback,
    ImageUnreadable,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NoMatchingPlatform => "no-matching-platform",
            Code::IndexNotSupported => "index-not-supported",
            Code::EntrypointArchMismatch => "entrypoint-arch-mismatch",
            Code::EntrypointNotFound => "entrypoint-not-found",
            Code::EntrypointNotExecutable => "entrypoint-not-executable",
            Code::InterpreterMissing => "interpreter-missing",
            Code::NativeModuleArchMismatch => "native-module-arch-mismatch",
            Code::NativeModuleLibcMismatch => "native-module-libc-mismatch",
            Code::GlibcTooOld => "glibc-too-old",
            Code::MislabeledPlatform => "mislabeled-platform",
            Code::ForeignBinary => "foreign-binary",
            Code::PlatformFallback => "platform-fallback",
            Code::ImageUnreadable => "image-unreadable",
        }
    }
}

/// One reason behind a verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    /// Absolute path in the image (`/app/app.jar!/lib/x.so` inside an archive).
    pub path: Option<String>,
    /// The layer that holds `path`.
    pub layer: Option<Digest>,
    pub message: String,
    /// A command or change that fixes it, ready to copy.
    pub fix: Option<String>,
    /// The line the runtime will print because of this finding, when known.
    #[serde(skip)]
    pub predicted_error: Option<String>,
}

//! What a verdict is made of: findings, each with a code (part of the JSON contract), the
//! file it names, the line the runtime will print, the fix and why it happens.

use serde::{Deserialize, Serialize};

use crate::oci::Digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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

impl Verdict {
    /// `PASS`, `WARN` or `FAIL`, as every output prints it.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        }
    }
}

/// Finding codes; part of the JSON contract, so only ever add to them. Read back by
/// `audit merge` from the records `audit` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// What a shell entrypoint (`sh -c STRING`, a wrapper script) starts cannot be told
    /// without running it.
    CommandUnknown,
    /// The entrypoint needs a CPU level (x86-64-v3, armv7) above what the target's hosts
    /// have, or are documented to have.
    CpuLevelUnsupported,
    /// 32-bit arm code on an arm64 target some of whose hosts have no AArch32 (Graviton4).
    Aarch32Unsupported,
    /// A Python extension module tagged for another CPython version than the image's.
    NativeModulePythonMismatch,
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
            Code::CommandUnknown => "command-unknown",
            Code::CpuLevelUnsupported => "cpu-level-unsupported",
            Code::Aarch32Unsupported => "aarch32-unsupported",
            Code::NativeModulePythonMismatch => "native-module-python-mismatch",
        }
    }

    /// A few words for a list badge (`entrypoint arch`, `no ELF loader`).
    pub fn short(self) -> &'static str {
        match self {
            Code::NoMatchingPlatform => "no such platform",
            Code::IndexNotSupported => "index refused",
            Code::EntrypointArchMismatch => "entrypoint arch",
            Code::EntrypointNotFound => "no entrypoint",
            Code::EntrypointNotExecutable => "not executable",
            Code::InterpreterMissing => "no ELF loader",
            Code::NativeModuleArchMismatch => "native module arch",
            Code::NativeModuleLibcMismatch => "native module libc",
            Code::GlibcTooOld => "glibc too old",
            Code::MislabeledPlatform => "mislabeled",
            Code::ForeignBinary => "foreign binary",
            Code::PlatformFallback => "fallback",
            Code::ImageUnreadable => "unreadable",
            Code::CommandUnknown => "start unknown",
            Code::CpuLevelUnsupported => "cpu level",
            Code::Aarch32Unsupported => "no AArch32",
            Code::NativeModulePythonMismatch => "python version",
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
    /// Why this happens, told with this finding's facts (the file, its CPU or C library, the
    /// target): the paragraph the explorer's explain screen shows.
    pub explanation: String,
}

/// Construction in the rules' order of thought: what is wrong, where, what to do, what the
/// runtime prints, why.
impl Finding {
    pub fn error(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Error, code, message.into())
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Warning, code, message.into())
    }

    pub fn info(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Info, code, message.into())
    }

    fn new(severity: Severity, code: Code, message: String) -> Finding {
        Finding {
            severity,
            code,
            path: None,
            layer: None,
            message,
            fix: None,
            predicted_error: None,
            explanation: String::new(),
        }
    }

    /// The file this finding names and the layer that wrote it.
    pub fn at(mut self, path: impl Into<String>, layer: Option<Digest>) -> Finding {
        self.path = Some(path.into());
        self.layer = layer;
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    pub fn predicts(mut self, line: impl Into<String>) -> Finding {
        self.predicted_error = Some(line.into());
        self
    }

    pub fn because(mut self, explanation: impl Into<String>) -> Finding {
        self.explanation = explanation.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_short_form_of_a_few_words() {
        let all = [
            Code::NoMatchingPlatform,
            Code::IndexNotSupported,
            Code::EntrypointArchMismatch,
            Code::EntrypointNotFound,
            Code::EntrypointNotExecutable,
            Code::InterpreterMissing,
            Code::NativeModuleArchMismatch,
            Code::NativeModuleLibcMismatch,
            Code::GlibcTooOld,
            Code::MislabeledPlatform,
            Code::ForeignBinary,
            Code::PlatformFallback,
            Code::ImageUnreadable,
            Code::CommandUnknown,
            Code::CpuLevelUnsupported,
        ];
        for c in all {
            let s = c.short();
            assert!(!s.is_empty() && s.len() <= 20, "{}: {s:?}", c.as_str());
            assert_ne!(s, c.as_str(), "{s}");
        }
        assert_eq!(Code::InterpreterMissing.short(), "no ELF loader");
    }

    #[test]
    fn the_explanation_is_part_of_the_json() {
        let f = Finding::error(Code::GlibcTooOld, "m")
            .at("/bin/app", None)
            .fix("f")
            .predicts("p")
            .because("why");
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["explanation"], "why");
        assert_eq!(v["path"], "/bin/app");
        assert_eq!(v["severity"], "error");
        assert!(v.get("predicted_error").is_none());
    }
}

//! What `/` types: a case-insensitive regex (a plain word is one too), `!` in front to keep
//! the rows that do not match, as in k9s. A pattern that does not compile matches literally.

use regex::{Regex, RegexBuilder};

/// Compiled once per keystroke, matched against every row; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Pattern {
    text: String,
    invert: bool,
    re: Option<Regex>,
    /// Lowercased text to find, when not even its escaped form compiles within the limit.
    literal: Option<String>,
    /// Why the text is not a regex (it is then matched as written).
    error: Option<String>,
}

/// Compiled regexes are bounded so a pasted monster cannot stall the UI.
const SIZE_LIMIT: usize = 1 << 20;

impl Pattern {
    pub fn new(text: &str) -> Pattern {
        let (invert, body) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let build = |p: &str| {
            RegexBuilder::new(p)
                .case_insensitive(true)
                .multi_line(true)
                .size_limit(SIZE_LIMIT)
                .build()
        };
        let (re, error) = if body.is_empty() {
            (None, None)
        } else {
            match build(body) {
                Ok(re) => (Some(re), None),
                Err(e) => (
                    build(&regex::escape(body)).ok(),
                    Some(first_line(&e.to_string())),
                ),
            }
        };
        // Text too long even for a literal regex is still matched as written.
        let literal = (re.is_none() && !body.is_empty()).then(|| body.to_lowercase());
        Pattern {
            text: text.to_string(),
            invert,
            re,
            literal,
            error,
        }
    }

    /// The text as typed (with its `!`).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Nothing to filter on (`""` or a lone `!`).
    pub fn is_empty(&self) -> bool {
        self.re.is_none() && self.literal.is_none()
    }

    /// Why the text is not a regex, for the status line.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether a row whose searchable text is `hay` (fields on lines of their own) passes.
    pub fn matches(&self, hay: &str) -> bool {
        match (&self.re, &self.literal) {
            (Some(re), _) => re.is_match(hay) != self.invert,
            (None, Some(text)) => hay.to_lowercase().contains(text.as_str()) != self.invert,
            (None, None) => true,
        }
    }
}

/// The regex crate's errors draw a caret diagram over several lines; the last line says why.
fn first_line(e: &str) -> String {
    e.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or_else(String::new, |l| {
            l.trim().trim_start_matches("error: ").to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_too_big_for_any_regex_is_still_found_as_written() {
        let huge = "(".repeat(200_000);
        let p = Pattern::new(&huge);
        assert!(!p.is_empty() && p.error().is_some());
        assert!(
            !p.matches("linux/amd64"),
            "everything shown while a filter is set"
        );
        assert!(p.matches(&format!("x{huge}y")));
    }

    #[test]
    fn words_regexes_and_inversion() {
        let p = Pattern::new("ARM");
        assert!(p.matches("linux/arm64") && !p.matches("linux/amd64"));
        let p = Pattern::new("^api-v[0-9]+$");
        assert!(p.matches("web\napi-v12") && !p.matches("api-v1x"));
        let p = Pattern::new("!fail");
        assert!(p.matches("✓ PASS") && !p.matches("✗ FAIL entrypoint"));
        assert!(Pattern::new("!").is_empty() && Pattern::new("!").matches("x"));
    }

    #[test]
    fn a_broken_regex_is_matched_as_written_and_says_why() {
        let p = Pattern::new("lib(");
        assert!(p.matches("/usr/lib(old)") && !p.matches("/usr/lib"));
        let why = p.error().unwrap();
        assert!(why.contains("unclosed group"), "{why}");
        assert!(!why.contains('\n'));
    }
}

//! Network failures told apart (refused, name not found, TLS, timeout, reset) and worded as
//! one sentence with what to check; also reads `Retry-After` (seconds or an HTTP date).

use std::time::{Duration, SystemTime};

/// Which way a request failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    Refused,
    Dns,
    Tls,
    Timeout,
    Reset,
    Other,
}

impl NetKind {
    /// Worth another attempt: a restarting server or a flaky link may answer next time;
    /// a name that does not resolve or a certificate that is not trusted will not.
    pub fn transient(self) -> bool {
        matches!(self, NetKind::Refused | NetKind::Timeout | NetKind::Reset)
    }
}

/// The kind of `e` and the innermost cause's text (never the URL, which may be presigned).
pub fn classify(e: &reqwest::Error) -> (NetKind, String) {
    let mut chain = Vec::new();
    let mut io_kind = None;
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        chain.push(s.to_string());
        src = s.source();
    }
    let innermost = chain.last().cloned().unwrap_or_default();
    let text = chain.join(": ").to_ascii_lowercase();
    use std::io::ErrorKind as K;
    let kind = if text.contains("dns error")
        || text.contains("failed to lookup address")
        || text.contains("name or service not known")
        || text.contains("no such host")
    {
        NetKind::Dns
    } else if text.contains("certificate")
        || text.contains("tls")
        || text.contains("handshake")
        || text.contains("invalid peer")
    {
        NetKind::Tls
    } else if io_kind == Some(K::ConnectionRefused) || text.contains("connection refused") {
        NetKind::Refused
    } else if e.is_timeout() || io_kind == Some(K::TimedOut) || text.contains("timed out") {
        NetKind::Timeout
    } else if matches!(
        io_kind,
        Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof)
    ) || text.contains("connection reset")
        || text.contains("connection closed")
        || e.is_body()
    {
        NetKind::Reset
    } else {
        NetKind::Other
    };
    (kind, innermost)
}

/// One sentence naming what happened to `host` and what to check.
pub fn explain(kind: NetKind, host: &str, detail: &str) -> String {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    };
    match kind {
        NetKind::Refused => format!(
            "connection refused by {host}: nothing is listening there. Check the registry's host and port, and that the registry is running"
        ),
        NetKind::Dns => format!(
            "the name {} could not be resolved (DNS). Check the spelling of the registry name, and your DNS, VPN or proxy settings",
            host_only(host)
        ),
        NetKind::Tls => format!(
            "the TLS connection to {host} failed{detail}. Check that it serves HTTPS with a certificate this machine trusts (or use --insecure for a plain-HTTP registry)"
        ),
        NetKind::Timeout => format!(
            "{host} did not answer in time. Check the network, any proxy or firewall in between, and that the registry is up"
        ),
        NetKind::Reset => format!(
            "{host} closed the connection{detail}. Check for a proxy or firewall in between, then try again"
        ),
        NetKind::Other => format!(
            "the request to {host} failed{detail}. Check the network and that the registry is reachable"
        ),
    }
}

fn host_only(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// `Retry-After` as delta-seconds or an HTTP date, as a wait from `now`.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A duration as people read it: `0.4 s`, `12 s`.
pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} s", d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Tue, 01 Dec 2026 12:00:00 GMT").expect("date");
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Tue, 01 Dec 2026 12:00:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        // A date already past means "now".
        assert_eq!(
            retry_after("Tue, 01 Dec 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn sentences_name_the_host_and_what_to_check() {
        let m = explain(NetKind::Refused, "127.0.0.1:1", "");
        assert!(m.starts_with("connection refused by 127.0.0.1:1"), "{m}");
        assert!(!m.contains("overloaded"), "{m}");
        let m = explain(NetKind::Dns, "nonexistent.invalid:5000", "");
        assert!(
            m.contains("nonexistent.invalid could not be resolved"),
            "{m}"
        );
        assert_eq!(secs(Duration::from_millis(400)), "0.4 s");
        assert_eq!(secs(Duration::from_secs(61)), "61 s");
    }
}

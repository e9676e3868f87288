//! A small HTTP/1.1 proxy in front of a real registry or moto: it injects faults, answers or
//! amends AWS JSON calls moto lacks, and records each request for assertions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a request whose path contains `path_contains`.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status (and `Retry-After` seconds if given) instead of forwarding.
    Status(u16, Option<u64>),
    /// Forward, but close the connection after this many body bytes.
    Cut(usize),
    /// Forward this many body bytes, then hold the connection open, silent, for this long.
    StallAfter(usize, Duration),
    /// Forward with one body byte changed.
    Corrupt,
    /// Wait before answering.
    Delay(Duration),
    /// Answer with a redirect to `location + path`.
    Redirect(String),
    /// Rewrite a query text (`n=1000` -> `n=1`) before forwarding.
    Rewrite(String, String),
    /// Answer with exactly this status, headers and body.
    Respond(u16, Vec<(String, String)>, String),
    /// Forward, adding this header to the answer (a `Link` that loops, say).
    Header(String, String),
    /// Demand `Authorization: Bearer <token>`, handing it out at `/token` for Basic `user:pass`.
    Bearer { token: String, basic: String },
    /// Answer an AWS JSON call whose `X-Amz-Target` ends with `.{operation}` with `body`,
    /// instead of forwarding: an operation the upstream (moto) does not implement.
    AnswerTarget { operation: String, body: String },
    /// Refuse with HTTP 400 and the AWS error `code` an AWS JSON call to `operation` whose
    /// request body contains `body_contains`: a parameter an endpoint does not take.
    RefuseTarget {
        operation: String,
        body_contains: String,
        code: String,
    },
    /// Forward, then merge `fields` into each object of the JSON answer's `array` whose `key`
    /// equals `value`: a real answer with fields the upstream (moto) does not implement.
    MergeJson {
        array: String,
        key: String,
        value: String,
        fields: serde_json::Value,
    },
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub path_contains: String,
    pub fault: Fault,
    /// How many times it fires; `None` for always.
    pub times: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    /// An AWS JSON call's `X-Amz-Target` (`AmazonEC2ContainerRegistry_V20150921.DescribeImages`).
    pub target: String,
    pub body: String,
}

impl Seen {
    /// Whether this is the AWS JSON call `operation`.
    pub fn is(&self, operation: &str) -> bool {
        self.target.ends_with(&format!(".{operation}"))
    }
}

/// A loopback HTTP/1.1 proxy forwarding to `upstream`, one request per connection.
pub struct Proxy {
    pub addr: String,
    pub rules: Arc<Mutex<Vec<Rule>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        Proxy::start_on("127.0.0.1", upstream)
    }

    /// `host` picks the name the proxy is reached by in URLs (`localhost` makes it a
    /// different origin from `127.0.0.1` for redirect tests); it always binds 127.0.0.1.
    pub fn start_on(host: &str, upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let addr = format!("{host}:{port}");
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (r, s, st, up, me) = (
            rules.clone(),
            seen.clone(),
            stop.clone(),
            upstream.to_string(),
            addr.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, s, up, me) = (r.clone(), s.clone(), up.clone(), me.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, &up, &me, &r, &s);
                });
            }
        });
        Proxy {
            addr,
            rules,
            seen,
            stop,
        }
    }

    pub fn add(&self, path_contains: &str, fault: Fault, times: Option<usize>) {
        self.rules.lock().expect("rules").push(Rule {
            path_contains: path_contains.to_string(),
            fault,
            times,
        });
    }

    pub fn clear(&self) {
        self.rules.lock().expect("rules").clear();
        self.seen.lock().expect("seen").clear();
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let port = self.addr.rsplit(':').next().unwrap_or("0");
        let _ = TcpStream::connect(format!("127.0.0.1:{port}"));
    }
}

fn take_faults(rules: &Mutex<Vec<Rule>>, path: &str) -> Vec<Fault> {
    let mut rules = rules.lock().expect("rules");
    let mut out = Vec::new();
    for r in rules.iter_mut() {
        if path.contains(&r.path_contains) && r.times != Some(0) {
            if let Some(t) = r.times.as_mut() {
                *t -= 1;
            }
            out.push(r.fault.clone());
        }
    }
    out
}

fn respond(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut h = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    conn.write_all(h.as_bytes())?;
    conn.write_all(body)?;
    conn.flush()
}

fn handle(
    mut conn: TcpStream,
    upstream: &str,
    me: &str,
    rules: &Mutex<Vec<Rule>>,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let mut path = parts.next().unwrap_or("").to_string();
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone());
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut request_body = vec![0u8; length];
    reader.read_exact(&mut request_body)?;
    let amz_target = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let body_text = String::from_utf8_lossy(&request_body).into_owned();
    seen.lock().expect("seen").push(Seen {
        method: method.clone(),
        path: path.clone(),
        authorization: auth.clone(),
        target: amz_target.clone(),
        body: body_text.clone(),
    });
    let faults = take_faults(rules, &path);
    let mut cut = None;
    let mut stall = None;
    let mut corrupt = false;
    let mut extra_headers = String::new();
    let mut merges = Vec::new();
    for f in &faults {
        match f {
            Fault::Status(code, retry) => {
                let h: Vec<(&str, String)> = retry
                    .iter()
                    .map(|s| ("Retry-After", s.to_string()))
                    .collect();
                return respond(
                    &mut conn,
                    *code,
                    &h,
                    b"{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}",
                );
            }
            Fault::Delay(d) => std::thread::sleep(*d),
            Fault::Respond(code, h, body) => {
                let h: Vec<(&str, String)> =
                    h.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                return respond(&mut conn, *code, &h, body.as_bytes());
            }
            Fault::Redirect(loc) => {
                return respond(&mut conn, 307, &[("Location", format!("{loc}{path}"))], b"");
            }
            Fault::Rewrite(from, to) => path = path.replace(from.as_str(), to),
            Fault::Cut(n) => cut = Some(*n),
            Fault::StallAfter(n, d) => stall = Some((*n, *d)),
            Fault::Header(k, v) => extra_headers.push_str(&format!("{k}: {v}\r\n")),
            Fault::Corrupt => corrupt = true,
            Fault::MergeJson { .. } => merges.push(f.clone()),
            Fault::AnswerTarget { operation, body }
                if amz_target.ends_with(&format!(".{operation}")) =>
            {
                let h = [("Content-Type", "application/x-amz-json-1.1".to_string())];
                return respond(&mut conn, 200, &h, body.as_bytes());
            }
            Fault::AnswerTarget { .. } => {}
            Fault::RefuseTarget {
                operation,
                body_contains,
                code,
            } if amz_target.ends_with(&format!(".{operation}"))
                && body_text.contains(body_contains.as_str()) =>
            {
                let h = [("Content-Type", "application/x-amz-json-1.1".to_string())];
                let body = serde_json::json!({"__type": code, "message": "injected"}).to_string();
                return respond(&mut conn, 400, &h, body.as_bytes());
            }
            Fault::RefuseTarget { .. } => {}
            Fault::Bearer { token, basic } => {
                if path.starts_with("/token") {
                    use base64::Engine as _;
                    let want = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(basic)
                    );
                    if auth.as_deref() != Some(want.as_str()) {
                        return respond(&mut conn, 401, &[], b"{}");
                    }
                    let body = serde_json::json!({ "token": token }).to_string();
                    return respond(
                        &mut conn,
                        200,
                        &[("Content-Type", "application/json".into())],
                        body.as_bytes(),
                    );
                }
                if auth.as_deref() != Some(format!("Bearer {token}").as_str()) {
                    let challenge = format!(
                        "Bearer realm=\"http://{me}/token\",service=\"archlens-test\",scope=\"repository:x:pull\""
                    );
                    return respond(&mut conn, 401, &[("WWW-Authenticate", challenge)], b"{}");
                }
            }
        }
    }
    // Forward. Authorization is passed on unless it is the proxy's own bearer token.
    let mut up = TcpStream::connect(upstream)?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\n");
    for (k, v) in &headers {
        let lk = k.to_ascii_lowercase();
        if lk == "host" || lk == "connection" {
            continue;
        }
        if lk == "authorization" && v.starts_with("Bearer ") {
            continue;
        }
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    up.write_all(req.as_bytes())?;
    up.write_all(&request_body)?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(split);
    let mut body = body.to_vec();
    let mut head = head.to_vec();
    if let Some(merged) = merge_json(&body, &merges) {
        body = merged;
        head = with_length(&head, body.len());
    }
    let head = head.as_slice();
    if corrupt && !body.is_empty() {
        let mid = body.len() / 2;
        body[mid] ^= 0xff;
    }
    match head.strip_suffix(b"\r\n\r\n") {
        Some(h) if !extra_headers.is_empty() => {
            conn.write_all(h)?;
            conn.write_all(b"\r\n")?;
            conn.write_all(extra_headers.as_bytes())?;
            conn.write_all(b"\r\n")?;
        }
        _ => conn.write_all(head)?,
    }
    if let Some((n, d)) = stall {
        conn.write_all(&body[..n.min(body.len())])?;
        conn.flush()?;
        std::thread::sleep(d);
        return Ok(());
    }
    match cut {
        Some(n) => {
            conn.write_all(&body[..n.min(body.len())])?;
            conn.flush()?;
            let _ = conn.shutdown(Shutdown::Both);
        }
        None => conn.write_all(&body)?,
    }
    conn.flush()
}

/// The body with every [`Fault::MergeJson`] applied, or `None` when none applies.
fn merge_json(body: &[u8], merges: &[Fault]) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut changed = false;
    for m in merges {
        let Fault::MergeJson {
            array,
            key,
            value,
            fields,
        } = m
        else {
            continue;
        };
        let Some(items) = v.get_mut(array.as_str()).and_then(|a| a.as_array_mut()) else {
            continue;
        };
        for item in items {
            if item.get(key.as_str()).and_then(|k| k.as_str()) != Some(value.as_str()) {
                continue;
            }
            if let (Some(obj), Some(add)) = (item.as_object_mut(), fields.as_object()) {
                for (k, f) in add {
                    obj.insert(k.clone(), f.clone());
                    changed = true;
                }
            }
        }
    }
    changed.then(|| serde_json::to_vec(&v).expect("json"))
}

/// A response head with its `Content-Length` set to `len` (and no chunked encoding).
fn with_length(head: &[u8], len: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.trim_end().split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("content-length:") || lower.starts_with("transfer-encoding:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {len}\r\n\r\n"));
    out.into_bytes()
}

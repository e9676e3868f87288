//! A small HTTP/1.1 client for the engine API: one GET per connection over a unix socket or
//! TCP, the body streamed (Content-Length, chunked or until close), never buffered whole.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// Response heads larger than this are refused: the engine's are a few hundred bytes.
const HEAD_MAX: usize = 64 * 1024;
/// How long one read may wait. `docker save` of a large image may pause while the engine
/// assembles a layer, so this is generous.
const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// Where the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, plain HTTP.
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A response whose body is read as a stream.
pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Reads at most `limit` bytes of the body; more is an error (the engine's JSON answers
    /// are small, a runaway one is not read into memory).
    pub fn bytes(mut self, limit: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        (&mut self).take(limit + 1).read_to_end(&mut out)?;
        if out.len() as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the answer is larger than {limit} bytes"),
            ));
        }
        Ok(out)
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

enum Body {
    Length(io::Take<BufReader<Box<dyn Stream>>>, u64),
    Chunked(Chunked<BufReader<Box<dyn Stream>>>),
    UntilClose(BufReader<Box<dyn Stream>>),
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Length(r, left) => {
                let n = r.read(buf)?;
                if n == 0 && *left > 0 && !buf.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the engine closed the connection {left} bytes early"),
                    ));
                }
                *left -= n as u64;
                Ok(n)
            }
            Body::Chunked(r) => r.read(buf),
            Body::UntilClose(r) => r.read(buf),
        }
    }
}

/// Sends `GET path` (path and query, already escaped) and reads the response head.
pub fn get(endpoint: &Endpoint, path: &str) -> io::Result<Response> {
    let (stream, host): (Box<dyn Stream>, &str) = match endpoint {
        Endpoint::Unix(p) => {
            let s = UnixStream::connect(p)?;
            s.set_read_timeout(Some(READ_TIMEOUT))?;
            (Box::new(s), "docker")
        }
        Endpoint::Tcp(a) => {
            let s = TcpStream::connect(a)?;
            s.set_read_timeout(Some(READ_TIMEOUT))?;
            (Box::new(s), a.as_str())
        }
    };
    let mut reader = BufReader::new(stream);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: archlens/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    reader.get_mut().write_all(request.as_bytes())?;
    reader.get_mut().flush()?;
    read_response(reader)
}

fn bad(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// Parses the status line and headers, then picks how the body ends.
fn read_response(mut reader: BufReader<Box<dyn Stream>>) -> io::Result<Response> {
    let mut head_len = 0usize;
    let mut line = |reader: &mut BufReader<Box<dyn Stream>>| -> io::Result<String> {
        let mut buf = Vec::new();
        let n = reader
            .by_ref()
            .take((HEAD_MAX - head_len.min(HEAD_MAX)) as u64)
            .read_until(b'\n', &mut buf)?;
        head_len += n;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine closed the connection before answering",
            ));
        }
        if !buf.ends_with(b"\n") {
            return Err(bad("the engine's response head is too long or cut off"));
        }
        Ok(String::from_utf8_lossy(&buf).trim_end().to_string())
    };
    let status_line = line(&mut reader)?;
    let mut parts = status_line.split_whitespace();
    let status = match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/1.") => code
            .parse::<u16>()
            .map_err(|_| bad(format!("not an HTTP status line: {status_line:?}")))?,
        _ => return Err(bad(format!("not an HTTP response: {status_line:?}"))),
    };
    let mut headers = Vec::new();
    loop {
        let l = line(&mut reader)?;
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body =
        if find("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            Body::Chunked(Chunked::new(reader))
        } else if let Some(len) = find("Content-Length") {
            let len = len
                .parse::<u64>()
                .map_err(|_| bad(format!("bad Content-Length {len:?}")))?;
            Body::Length(reader.take(len), len)
        } else {
            Body::UntilClose(reader)
        };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A chunked transfer-encoded body: each chunk is `HEX\r\nDATA\r\n`, a zero chunk ends it.
/// A connection that ends before the zero chunk is an error, so a cut stream never passes
/// for a whole archive.
struct Chunked<R> {
    inner: R,
    /// Bytes left in the current chunk; `None` once the last chunk was read.
    left: Option<u64>,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Chunked<R> {
        Chunked {
            inner,
            left: Some(0),
        }
    }

    fn size_line(&mut self) -> io::Result<u64> {
        let mut buf = Vec::new();
        (&mut self.inner).take(1024).read_until(b'\n', &mut buf)?;
        if !buf.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine's chunked answer was cut off",
            ));
        }
        let text = String::from_utf8_lossy(&buf);
        let hex = text.split(';').next().unwrap_or("").trim();
        u64::from_str_radix(hex, 16).map_err(|_| bad(format!("bad chunk size {hex:?}")))
    }

    fn crlf(&mut self) -> io::Result<()> {
        let mut two = [0u8; 2];
        self.inner.read_exact(&mut two)?;
        if &two != b"\r\n" {
            return Err(bad("a chunk does not end with CRLF"));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.left {
                None => return Ok(0),
                Some(0) => {
                    let size = self.size_line()?;
                    if size == 0 {
                        // Trailers, then the empty line.
                        loop {
                            let mut t = Vec::new();
                            (&mut self.inner).take(8192).read_until(b'\n', &mut t)?;
                            if t.is_empty() || t == b"\r\n" || t == b"\n" {
                                break;
                            }
                        }
                        self.left = None;
                        return Ok(0);
                    }
                    self.left = Some(size);
                }
                Some(left) => {
                    if buf.is_empty() {
                        return Ok(0);
                    }
                    let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let n = self.inner.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the engine closed the connection in the middle of a chunk",
                        ));
                    }
                    let rest = left - n as u64;
                    if rest == 0 {
                        self.crlf()?;
                    }
                    self.left = Some(rest);
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real socket pair: the test writes what an engine would send.
    fn answer(raw: &'static [u8]) -> io::Result<Response> {
        let (a, mut b) = UnixStream::pair()?;
        std::thread::spawn(move || {
            let _ = b.write_all(raw);
        });
        read_response(BufReader::new(Box::new(a)))
    }

    fn body(r: Response) -> io::Result<Vec<u8>> {
        r.bytes(1 << 20)
    }

    #[test]
    fn chunked_bodies_are_joined_and_trailers_skipped() {
        let r = answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nApi-Version: 1.41\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("api-version"), Some("1.41"));
        assert_eq!(body(r).unwrap(), b"hello world");
    }

    #[test]
    fn a_cut_chunked_stream_is_an_error_not_a_short_archive() {
        let r = answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nhello").unwrap();
        let e = body(r).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn content_length_bodies_end_where_they_say() {
        let r = answer(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\n{\"a\"}").unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(body(r).unwrap(), b"{\"a\"");
        let r = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").unwrap();
        assert!(body(r).is_err());
    }

    #[test]
    fn oversized_answers_are_refused() {
        let r = answer(b"HTTP/1.1 200 OK\r\n\r\n0123456789").unwrap();
        assert!(r.bytes(4).is_err());
    }

    #[test]
    fn what_is_not_http_says_so() {
        let e = answer(b"SSH-2.0-OpenSSH\r\n\r\n").err().unwrap();
        assert!(e.to_string().contains("not an HTTP response"), "{e}");
    }
}

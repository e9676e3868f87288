//! A `Read` wrapper that checks a blob against its descriptor while it streams:
//! it hashes and counts every byte, and fails at EOF (or on overflow) naming the digest.

use std::io::{self, Read};

use crate::oci::Digest;
use crate::oci::digest::Hasher;

/// Why a verified stream failed; carried inside an `io::Error` of kind `InvalidData`
/// so callers that need the details can downcast it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    #[error(
        "blob {digest} is larger than its descriptor's size of {expected} bytes: the descriptor is wrong or the blob is corrupt; fetch or build the image again"
    )]
    TooLong { digest: Digest, expected: u64 },
    #[error(
        "blob {digest} ended after {actual} bytes but its descriptor says {expected}: it is truncated or the descriptor is wrong; fetch or build the image again"
    )]
    SizeMismatch {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error(
        "blob {digest} does not match its digest (the bytes hash to {algorithm}:{actual}): the blob is corrupt; fetch or build the image again"
    )]
    DigestMismatch {
        digest: Digest,
        algorithm: &'static str,
        actual: String,
    },
}

impl VerifyError {
    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// Hashes and counts what passes through; see the module docs.
pub struct VerifyingReader<R> {
    inner: R,
    digest: Digest,
    size: u64,
    count: u64,
    hasher: Option<Hasher>,
    /// Once failed, every later read repeats the failure instead of pretending EOF.
    failed: Option<VerifyError>,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, digest: Digest, size: u64) -> Self {
        let hasher = Some(digest.hasher());
        VerifyingReader {
            inner,
            digest,
            size,
            count: 0,
            hasher,
            failed: None,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn fail(&mut self, e: VerifyError) -> io::Error {
        self.failed = Some(e.clone());
        e.into_io()
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(());
        };
        if self.count != self.size {
            return Err(self.fail(VerifyError::SizeMismatch {
                digest: self.digest.clone(),
                expected: self.size,
                actual: self.count,
            }));
        }
        let actual = hasher.finish_hex();
        if actual != self.digest.hex() {
            return Err(self.fail(VerifyError::DigestMismatch {
                algorithm: self.digest.algorithm().name(),
                digest: self.digest.clone(),
                actual,
            }));
        }
        Ok(())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(e.clone().into_io());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if self.hasher.is_none() {
            // Verified already: a well-behaved EOF from now on.
            return Ok(0);
        }
        // Ask for at most one byte beyond the declared size, so an endless stream is
        // caught after `size + 1` bytes instead of being read forever.
        let allowed = self.size.saturating_sub(self.count).saturating_add(1);
        let want = buf
            .len()
            .min(usize::try_from(allowed).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        self.count += n as u64;
        if self.count > self.size {
            return Err(self.fail(VerifyError::TooLong {
                digest: self.digest.clone(),
                expected: self.size,
            }));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Reads a small verified blob (a manifest or config) whole, refusing more than `cap` bytes.
pub fn read_small(
    reader: impl Read,
    digest: &Digest,
    size: u64,
    cap: u64,
) -> Result<Vec<u8>, io::Error> {
    if size > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "blob {digest} claims {size} bytes, more than the {cap} bytes allowed for a manifest or config: the descriptor is wrong"
            ),
        ));
    }
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    VerifyingReader::new(reader, digest.clone(), size).read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: impl Read) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        let mut r = r;
        r.read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn passes_matching_bytes() {
        let d = Digest::sha256_of(b"hello");
        let v = read_all(VerifyingReader::new(&b"hello"[..], d, 5)).unwrap();
        assert_eq!(v, b"hello");
    }

    #[test]
    fn wrong_bytes_name_the_digest() {
        let d = Digest::sha256_of(b"hello");
        let err = read_all(VerifyingReader::new(&b"jello"[..], d.clone(), 5)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let msg = err.to_string();
        assert!(msg.contains(&d.to_string()), "{msg}");
        assert!(msg.contains("does not match its digest"), "{msg}");
    }

    #[test]
    fn short_and_long_streams_fail() {
        let d = Digest::sha256_of(b"hello");
        let err = read_all(VerifyingReader::new(&b"hell"[..], d.clone(), 5)).unwrap_err();
        assert!(err.to_string().contains("ended after 4 bytes"), "{err}");
        let err = read_all(VerifyingReader::new(&b"hello!"[..], d.clone(), 5)).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }

    #[test]
    fn endless_stream_stops_just_past_the_size() {
        let d = Digest::sha256_of(b"x");
        let mut r = VerifyingReader::new(io::repeat(0), d, 1000);
        let err = read_all(&mut r).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
        assert_eq!(r.count(), 1001);
    }

    #[test]
    fn read_small_refuses_absurd_sizes() {
        let d = Digest::sha256_of(b"x");
        let err = read_small(&b"x"[..], &d, u64::MAX, 1 << 20).unwrap_err();
        assert!(err.to_string().contains("claims"), "{err}");
    }
}

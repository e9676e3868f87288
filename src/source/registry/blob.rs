//! Blobs as streams: the first request answers before the reader is handed out, the body
//! flows through a bounded channel, is resumed with `Range` and is hashed as it is read.

use std::io::{self, Read};
use std::sync::Arc;

use reqwest::StatusCode;

use super::api::pull_scope;
use super::client::{Client, backoff, run, runtime};
use super::{Op, RegistryError, net};
use crate::oci::Digest;
use crate::source::SourceError;

/// Chunks in flight between the download task and the reader.
const CHANNEL_CHUNKS: usize = 16;

impl Client {
    /// Opens a verified blob stream. The first request runs before returning so a missing
    /// or forbidden blob is an error here; the body then flows through a bounded channel,
    /// resuming with `Range` if the connection breaks.
    pub(super) fn open_blob(
        self: &Arc<Self>,
        repository: &str,
        digest: &Digest,
        size: u64,
    ) -> Result<BlobReader, RegistryError> {
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let scope = pull_scope(repository);
        let what = format!("blob {digest}");
        let client = Arc::clone(self);
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, String>>(CHANNEL_CHUNKS);
        let first = {
            let (client, url, scope, what) =
                (client.clone(), url.clone(), scope.clone(), what.clone());
            run(async move {
                let permit = client.downloads.clone().acquire_owned().await.ok();
                let resp = client.get(&url, None, None, &scope, Op::Blob, &what).await;
                resp.map(|r| (r, permit))
            })??
        };
        let task = async move {
            let (mut resp, _permit) = first;
            let mut offset: u64 = 0;
            let mut skip: u64 = 0;
            let mut resumes = 0u32;
            // The per-request deadline counts from the last byte: a slow, steady download
            // goes on, a stalled one fails in the stated time.
            let mut last_byte = std::time::Instant::now();
            loop {
                let dl = client.deadline(last_byte);
                let read =
                    tokio::time::timeout_at(tokio::time::Instant::from_std(dl.at), resp.chunk())
                        .await;
                let Ok(read) = read else {
                    let _ = tx.send(Err(client.timed_out(&dl, &what).to_string())).await;
                    return;
                };
                match read {
                    Ok(Some(chunk)) => {
                        last_byte = std::time::Instant::now();
                        let mut chunk: &[u8] = &chunk;
                        if skip > 0 {
                            let n = usize::try_from(skip).unwrap_or(usize::MAX).min(chunk.len());
                            chunk = &chunk[n..];
                            skip -= n as u64;
                        }
                        if chunk.is_empty() {
                            continue;
                        }
                        offset += chunk.len() as u64;
                        if tx.send(Ok(chunk.to_vec())).await.is_err() {
                            return; // the reader was dropped
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        resumes += 1;
                        if resumes >= client.opts.retry.max_attempts {
                            let (kind, detail) = net::classify(&e);
                            let _ = tx
                                .send(Err(format!(
                                    "{}: {what}: broken off after {offset} bytes, {resumes} times: {}",
                                    client.registry,
                                    net::explain(kind, &client.host, &detail)
                                )))
                                .await;
                            return;
                        }
                        tokio::time::sleep(backoff(&client.opts.retry, resumes)).await;
                        match client
                            .get_until(&url, None, Some(offset), &scope, Op::Blob, &what, &dl)
                            .await
                        {
                            Ok(r) => {
                                // A server that ignores Range starts again from byte 0.
                                skip = if r.status() == StatusCode::PARTIAL_CONTENT {
                                    0
                                } else {
                                    offset
                                };
                                resp = r;
                            }
                            Err(e) => {
                                let _ = tx.send(Err(e.to_string())).await;
                                return;
                            }
                        }
                    }
                }
            }
        };
        runtime()?.spawn(task);
        Ok(BlobReader {
            rx,
            what: format!("{}: blob {digest}", self.registry),
            digest: digest.clone(),
            hasher: Some(digest.hasher()),
            size,
            read: 0,
            buf: Vec::new(),
            pos: 0,
        })
    }
}

/// A blob as it arrives, hashed and counted; the end of the stream is an error unless
/// digest and size match. Read it from a plain thread, not from inside an async task.
pub struct BlobReader {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    what: String,
    digest: Digest,
    hasher: Option<crate::oci::digest::Hasher>,
    size: u64,
    read: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.buf.len() {
            let Some(hasher) = self.hasher.take() else {
                return Ok(0);
            };
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.read += chunk.len() as u64;
                    if self.read > self.size {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "{}: more than the {} bytes the descriptor declares; the registry sent a different blob",
                                self.what, self.size
                            ),
                        ));
                    }
                    let mut hasher = hasher;
                    hasher.update(&chunk);
                    self.hasher = Some(hasher);
                    self.buf = chunk;
                    self.pos = 0;
                }
                Some(Err(msg)) => return Err(io::Error::other(msg)),
                None => {
                    if self.read != self.size {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "{}: ended after {} of {} bytes",
                                self.what, self.read, self.size
                            ),
                        ));
                    }
                    let actual = hasher.finish_hex();
                    if actual != self.digest.hex() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            SourceError::DigestMismatch {
                                what: self.what.clone(),
                                expected: self.digest.clone(),
                                actual: format!("{}:{actual}", self.digest.algorithm().name()),
                            }
                            .to_string(),
                        ));
                    }
                    return Ok(0);
                }
            }
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

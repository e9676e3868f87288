//! Background work for the UI: a small pool of threads runs listing, manifest and layer jobs
//! and sends completions back tagged with the request id, so the UI never blocks on I/O.
//!
//! Every request carries a cancellation flag; the source handed to a job checks it on every
//! read, so leaving a screen stops its downloads at the next buffer.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use super::tree::{Tree, View};
use crate::analyze::{self, Image, LayerCache, Progress};
use crate::catalog::{Catalog, ImageRow, RepoRow, RootInfo, load_root_info};
use crate::oci::Digest;
use crate::source::{Fetched, ImageSource, SourceError};

/// What to do.
#[derive(Debug, Clone)]
pub enum Job {
    Repositories,
    Images {
        repository: String,
    },
    Root {
        row: ImageRow,
    },
    Analyze {
        row: ImageRow,
        digest: Digest,
        media_type: String,
    },
}

/// What came back.
#[derive(Debug, Clone)]
pub enum Output {
    Repositories(Vec<RepoRow>),
    Images(Vec<ImageRow>),
    Root(Arc<RootInfo>),
    /// The image and its merged file tree (top layer selected), built here and not in a frame.
    Image(Arc<Image>, Option<Box<Tree>>),
}

/// A request as the app issues it.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: u64,
    pub job: Job,
    pub cancel: Arc<AtomicBool>,
    pub progress: Arc<Progress>,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub id: u64,
    pub result: Result<Output, String>,
}

struct Queue {
    jobs: Mutex<(VecDeque<Request>, bool)>,
    ready: Condvar,
}

/// The worker pool. Dropping it lets the workers finish their current job and stop.
pub struct Pool {
    queue: Arc<Queue>,
}

impl Pool {
    /// Starts `workers` threads that run requests and send completions through `done`.
    pub fn start<M: Send + 'static>(
        catalog: Arc<dyn Catalog>,
        cache: Option<Arc<dyn LayerCache + Send>>,
        workers: usize,
        done: Sender<M>,
        wrap: fn(Completion) -> M,
    ) -> Pool {
        let queue = Arc::new(Queue {
            jobs: Mutex::new((VecDeque::new(), false)),
            ready: Condvar::new(),
        });
        for _ in 0..workers.max(1) {
            let q = Arc::clone(&queue);
            let cat = Arc::clone(&catalog);
            let cache = cache.clone();
            let tx = done.clone();
            std::thread::spawn(move || {
                while let Some(req) = next(&q) {
                    if req.cancel.load(Ordering::Relaxed) {
                        continue;
                    }
                    let result = run(
                        cat.as_ref(),
                        cache.as_deref().map(|c| c as &dyn LayerCache),
                        &req,
                    );
                    if let Err(e) = &result {
                        super::log(&format!("request {} failed: {e}", req.id));
                    }
                    if req.cancel.load(Ordering::Relaxed) {
                        continue;
                    }
                    if tx.send(wrap(Completion { id: req.id, result })).is_err() {
                        break;
                    }
                }
            });
        }
        Pool { queue }
    }

    pub fn submit(&self, req: Request) {
        if let Ok(mut g) = self.queue.jobs.lock() {
            g.0.push_back(req);
            self.queue.ready.notify_one();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut g) = self.queue.jobs.lock() {
            g.1 = true;
            self.queue.ready.notify_all();
        }
    }
}

fn next(q: &Queue) -> Option<Request> {
    let mut g = q.jobs.lock().ok()?;
    loop {
        if g.1 {
            return None;
        }
        if let Some(r) = g.0.pop_front() {
            return Some(r);
        }
        g = q.ready.wait(g).ok()?;
    }
}

/// Runs one job synchronously (the tests call it directly). Layer scans come from `cache`
/// when it has them.
pub fn run(
    catalog: &dyn Catalog,
    cache: Option<&dyn LayerCache>,
    req: &Request,
) -> Result<Output, String> {
    match &req.job {
        Job::Repositories => catalog.repositories().map(Output::Repositories),
        Job::Images { repository } => catalog.images(repository).map(Output::Images),
        Job::Root { row } => {
            let src = Cancellable::new(catalog.open(row)?, Arc::clone(&req.cancel));
            load_root_info(&src).map(|r| Output::Root(Arc::new(r)))
        }
        Job::Analyze {
            row,
            digest,
            media_type,
        } => {
            let src = Cancellable::new(catalog.open(row)?, Arc::clone(&req.cancel));
            analyze::analyze_image(&src, digest, Some(media_type), cache, &req.progress)
                .map(|i| {
                    let top = i.layers.len().saturating_sub(1);
                    let tree = Tree::of_image(&i, View::Merged, top);
                    Output::Image(Arc::new(i), Some(Box::new(tree)))
                })
                .map_err(|e| e.to_string())
        }
    }
}

/// A source that fails every call and every read once its request is cancelled.
struct Cancellable {
    inner: Box<dyn ImageSource>,
    cancel: Arc<AtomicBool>,
}

impl Cancellable {
    fn new(inner: Box<dyn ImageSource>, cancel: Arc<AtomicBool>) -> Cancellable {
        Cancellable { inner, cancel }
    }

    fn check(&self) -> Result<(), SourceError> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(SourceError::Invalid(
                "cancelled: the screen was left".into(),
            ))
        } else {
            Ok(())
        }
    }
}

impl ImageSource for Cancellable {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn root(&self) -> Result<Fetched, SourceError> {
        self.check()?;
        self.inner.root()
    }

    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError> {
        self.check()?;
        self.inner.manifest(digest, media_type)
    }

    fn blob(&self, digest: &Digest, size: u64) -> Result<Box<dyn Read + Send>, SourceError> {
        self.check()?;
        let inner = self.inner.blob(digest, size)?;
        Ok(Box::new(CancellableRead {
            inner,
            cancel: Arc::clone(&self.cancel),
        }))
    }
}

struct CancellableRead {
    inner: Box<dyn Read + Send>,
    cancel: Arc<AtomicBool>,
}

impl Read for CancellableRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("cancelled: the screen was left"));
        }
        self.inner.read(buf)
    }
}

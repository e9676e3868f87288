//! Background work for the UI: a small pool of threads runs the app's requests (listing,
//! manifests, layers) and sends each its typed completion, so the UI never blocks on I/O.
//!
//! Every request carries a cancellation flag; the source handed to a job checks it on every
//! read, so leaving a screen stops its downloads at the next buffer.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};

use super::app::{Analyzed, Completion, Job, Reply, Request};
use super::tree::{Tree, View};
use crate::analyze::{self, LayerCache};
use crate::catalog::{self, Catalog};
use crate::oci::Digest;
use crate::source::{Fetched, ImageSource, SourceError};

struct Queue {
    jobs: Mutex<Jobs>,
    ready: Condvar,
}

/// Waiting requests: low-priority ones (repository stats) only when no other waits.
#[derive(Default)]
struct Jobs {
    normal: VecDeque<Request>,
    low: VecDeque<Request>,
    closed: bool,
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
            jobs: Mutex::new(Jobs::default()),
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
                    let done = run(
                        cat.as_ref(),
                        cache.as_deref().map(|c| c as &dyn LayerCache),
                        &req,
                    );
                    if let Some(e) = done.error() {
                        super::log(&format!("request {} failed: {e}", req.id));
                    }
                    if req.cancel.load(Ordering::Relaxed) {
                        continue;
                    }
                    if tx.send(wrap(done)).is_err() {
                        break;
                    }
                }
            });
        }
        Pool { queue }
    }

    pub fn submit(&self, req: Request) {
        push(&self.queue, req);
    }

    /// Moves request `id`, when it waits among the low-priority work, to the front.
    pub fn promote(&self, id: u64) {
        promote(&self.queue, id);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut g) = self.queue.jobs.lock() {
            g.closed = true;
            self.queue.ready.notify_all();
        }
    }
}

fn push(q: &Queue, req: Request) {
    if let Ok(mut g) = q.jobs.lock() {
        if req.job.low_priority() {
            g.low.push_back(req);
        } else {
            g.normal.push_back(req);
        }
        q.ready.notify_one();
    }
}

fn promote(q: &Queue, id: u64) {
    if let Ok(mut g) = q.jobs.lock()
        && let Some(pos) = g.low.iter().position(|r| r.id == id)
        && let Some(req) = g.low.remove(pos)
    {
        g.normal.push_front(req);
    }
}

fn next(q: &Queue) -> Option<Request> {
    let mut g = q.jobs.lock().ok()?;
    loop {
        if g.closed {
            return None;
        }
        if let Some(r) = g.normal.pop_front().or_else(|| g.low.pop_front()) {
            return Some(r);
        }
        g = q.ready.wait(g).ok()?;
    }
}

/// Runs one request synchronously (the tests call it directly). Layer scans come from
/// `cache` when it has them.
pub fn run(catalog: &dyn Catalog, cache: Option<&dyn LayerCache>, req: &Request) -> Completion {
    let id = req.id;
    match &req.job {
        Job::ReadFile(j) => {
            let result = catalog.open(&j.row).and_then(|src| {
                let src = Cancellable::new(src, Arc::clone(&req.cancel));
                super::viewer::read_head(&src, &j.layer, j.size, &j.path, super::viewer::HEAD_BYTES)
                    .map(Arc::new)
            });
            Completion::ReadFile(Reply::new(id, j, result))
        }
        Job::Repositories(j) => {
            let moved = j.switch.as_ref().map_or(Ok(()), |to| catalog.switch(to));
            let result = moved.and_then(|()| catalog.repositories());
            Completion::Repositories(Reply::new(id, j, result))
        }
        Job::RepoStats(j) => {
            Completion::RepoStats(Reply::new(id, j, catalog.repository_stats(&j.repositories)))
        }
        Job::Images(j) => Completion::Images(Reply::new(id, j, catalog.images(&j.repository))),
        Job::Root(j) => {
            let result = match catalog.root_info(&j.row) {
                Some(known) => known.map(Arc::new),
                None => catalog.open(&j.row).and_then(|src| {
                    let src = Cancellable::new(src, Arc::clone(&req.cancel));
                    catalog::load_root_info(&src, cache).map(Arc::new)
                }),
            };
            Completion::Root(Reply::new(id, j, result))
        }
        Job::Analyze(j) => {
            let result = catalog.open(&j.row).and_then(|src| {
                let src = Cancellable::new(src, Arc::clone(&req.cancel));
                analyze::analyze_image(&src, &j.digest, Some(&j.media_type), cache, &req.progress)
                    .map(|i| {
                        let top = i.layers.len().saturating_sub(1);
                        let tree = Tree::of_image(&i, View::Merged, top);
                        Analyzed {
                            image: Arc::new(i),
                            tree: Some(Box::new(tree)),
                        }
                    })
                    .map_err(|e| e.to_string())
            });
            Completion::Analyze(Reply::new(id, j, result))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::{LoadImages, LoadRepoStats};

    fn req(id: u64, job: Job) -> Request {
        Request {
            id,
            job,
            cancel: Arc::default(),
            progress: Arc::default(),
        }
    }

    #[test]
    fn repository_stats_wait_behind_the_work_people_asked_for() {
        let q = Queue {
            jobs: Mutex::new(Jobs::default()),
            ready: Condvar::new(),
        };
        let stats = Job::RepoStats(LoadRepoStats {
            repositories: vec!["a".into(), "b".into()],
            rest: Vec::new(),
        });
        let images = |r: &str| {
            Job::Images(LoadImages {
                repository: r.into(),
            })
        };
        push(&q, req(1, stats));
        push(&q, req(2, images("a")));
        push(&q, req(3, images("b")));
        let order: Vec<u64> = (0..3).filter_map(|_| next(&q).map(|r| r.id)).collect();
        assert_eq!(order, [2, 3, 1]);
        // A low-priority job someone now waits for jumps the queue.
        let stats = |n: &str| {
            Job::RepoStats(LoadRepoStats {
                repositories: vec![n.into()],
                rest: Vec::new(),
            })
        };
        push(&q, req(4, stats("a")));
        push(&q, req(5, stats("b")));
        push(&q, req(6, images("c")));
        promote(&q, 5);
        let order: Vec<u64> = (0..3).filter_map(|_| next(&q).map(|r| r.id)).collect();
        assert_eq!(order, [5, 6, 4]);
    }
}

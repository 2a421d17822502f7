//! The server's hold on one log: a single sequencer thread for appends and a
//! small pool of read connections.
//!
//! **One sequencer.** A SQLite connection is `Send` but not `Sync`, and the
//! engines' rule state (custody, accounts, escrow, review) is built by
//! replaying the whole log, so the [`Log`] and its rule live on one dedicated
//! OS thread that owns them and receives append jobs over a bounded channel.
//! Every append is therefore serialised, in arrival order, which is what keeps
//! one consistent log; nothing async ever holds a lock across blocking I/O;
//! and the channel's bound turns overload into a prompt `503 busy` instead of
//! an unbounded queue. (A `tokio::sync::Mutex<Log>` would serialise as well,
//! but each append would move the guard into `spawn_blocking`, the waiting
//! queue would be unbounded, and the rule state would need a second lock.)
//!
//! The rule state is built once at start by the binary's factory, then kept
//! and advanced by each accepted append, so an append costs O(log n), not a
//! replay of the log. After a refused append the rule's state is unspecified
//! ([`SubmissionRule`]), so it is rebuilt — unless the refusal came before the
//! rule saw anything (a bad signature, a replayed `seq`, an unknown actor on
//! the first submission of the request: the registry's checks run first).
//!
//! Another process may append to the same file (the CLI). Before each
//! append the sequencer compares the store's tree size with the size of its
//! own last append (one query); if they differ it reopens the log (the
//! registry's next `seq`s and keys) and rebuilds the rule. An append that
//! races the other writer all the same fails the store's commit with a
//! conflict, and is retried once after the same reload. Stale state can only
//! refuse a good submission, never accept a bad one: the commit checks the
//! size it was prepared against.
//!
//! **Reads** run on tokio's blocking pool, each on a connection of its own
//! taken from an idle list (opened on demand), at most
//! [`Limits::reads_concurrent_max`] at once. SQLite in WAL mode lets them read
//! while the sequencer writes; each statement sees a committed state, and every
//! proof is computed for an explicit tree size whose stored hashes never
//! change.

use crate::error::ApiError;
use crate::Limits;
use custodian_core::SignedSubmission;
use custodian_ledger::keys::{SigningKey, VerifierKey};
use custodian_ledger::registry::SubmissionRule;
use custodian_store::any::{AnyStore, Target};
use custodian_store::log::{AppendError, AppendReceipt, Log};
use custodian_store::StoreError;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// An error from the binary's rule factory.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Builds the engines' rules for a log, from all its leaves: the binary passes
/// `|log| Ok(Box::new(record::rule_of(log)?))`, so the server applies exactly
/// the rules of `custodian log append`.
pub type RuleFactory =
    Arc<dyn Fn(&Log<AnyStore>) -> Result<Box<dyn SubmissionRule + Send>, BoxError> + Send + Sync>;

/// Why the server could not start on a log.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened as a Custodian log.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log key is not this log's.
    #[error("the log signing key {found:?} does not match this log's verifier key {expected:?}")]
    WrongLogKey {
        /// The stored verifier key.
        expected: String,
        /// The key given.
        found: String,
    },
    /// The engines' rules could not be built from the log.
    #[error("building the engines' rules from the log: {0}")]
    Rules(BoxError),
    /// The sequencer thread could not be started.
    #[error("starting the sequencer thread: {0}")]
    Thread(std::io::Error),
    /// The socket could not be bound or served.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// An append the sequencer could not do.
#[derive(Debug)]
pub enum AppendFailure {
    /// Refused; nothing applied.
    Append(AppendError),
    /// The queue of appends is full; try again.
    Busy,
    /// The sequencer cannot build the rules or has stopped (the cause went to
    /// the server's log).
    Unavailable,
}

struct AppendJob {
    submissions: Vec<SignedSubmission>,
    reply: oneshot::Sender<Result<AppendReceipt, AppendFailure>>,
}

/// The shared state of a served log; cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
    /// The engines' views and their cached answers, if the binary gave them
    /// ([`Ledger::with_views`]).
    views: Option<Arc<crate::views::Served>>,
}

struct Inner {
    target: Target,
    origin: String,
    verifier: VerifierKey,
    limits: Limits,
    jobs: mpsc::Sender<AppendJob>,
    idle: Mutex<Vec<AnyStore>>,
    reads: Arc<Semaphore>,
    /// Signed reads' state: the actor registry cache and the nonces seen.
    guard: crate::auth::Guard,
}

impl Ledger {
    /// Opens the log at `target` (an SQLite file or a PostgreSQL URL), builds its rules with `rules` (a replay of the
    /// whole log: this is the slow part of a start) and starts the sequencer.
    /// `log_key` signs the checkpoint of every append.
    pub fn open(
        target: &Target,
        log_key: SigningKey,
        rules: RuleFactory,
        limits: Limits,
    ) -> Result<Ledger, StartError> {
        let log = Log::open(AnyStore::open(target)?)?;
        let key_text = log_key.verifier().to_text();
        if key_text != log.meta().verifier_key {
            return Err(StartError::WrongLogKey {
                expected: log.meta().verifier_key.clone(),
                found: key_text,
            });
        }
        let rule = rules(&log).map_err(StartError::Rules)?;
        let origin = log.meta().origin.clone();
        let verifier = log.verifier().clone();
        let (jobs, queue) = mpsc::channel(limits.appends_queued_max.max(1));
        let known_size = log.size()?.0;
        let sequencer = Sequencer {
            target: target.clone(),
            known_size,
            log,
            rule: Some(rule),
            rules,
            log_key,
        };
        std::thread::Builder::new()
            .name("custodian-sequencer".into())
            .spawn(move || sequencer.run(queue))
            .map_err(StartError::Thread)?;
        Ok(Ledger {
            inner: Arc::new(Inner {
                target: target.clone(),
                origin,
                verifier,
                reads: Arc::new(Semaphore::new(limits.reads_concurrent_max.max(1))),
                limits,
                jobs,
                idle: Mutex::new(Vec::new()),
                guard: crate::auth::Guard::default(),
            }),
            views: None,
        })
    }

    /// This ledger serving the engines' views (`/api/v1/registry/...`,
    /// `/api/v1/items`, `/api/v1/findings`, ...) through `views`; without
    /// them those routes answer `404 no_views`.
    pub fn with_views(self, views: Arc<dyn crate::views::Views>) -> Ledger {
        Ledger {
            views: Some(Arc::new(crate::views::Served::new(views))),
            ..self
        }
    }

    /// The engines' views, if any.
    pub(crate) fn views(&self) -> Option<&Arc<crate::views::Served>> {
        self.views.as_ref()
    }

    /// Where the log is (a view opens a connection of its own to replay it).
    pub(crate) fn target(&self) -> &Target {
        &self.inner.target
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.inner.verifier
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Signed reads' state (module `auth`).
    pub(crate) fn guard(&self) -> &crate::auth::Guard {
        &self.inner.guard
    }

    /// Queues `submissions` for the sequencer and waits for the outcome. Fails
    /// at once with `503 busy` when the queue is full. Once queued, the append
    /// happens whether or not the caller still waits (a client that hangs up
    /// learns the outcome from its next `seq`: a replay is refused).
    pub async fn append(
        &self,
        submissions: Vec<SignedSubmission>,
    ) -> Result<AppendReceipt, AppendFailure> {
        let (reply, outcome) = oneshot::channel();
        let job = AppendJob { submissions, reply };
        match self.inner.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => return Err(AppendFailure::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                eprintln!("custodian-server: the sequencer has stopped; appends are refused");
                return Err(AppendFailure::Unavailable);
            }
        }
        outcome.await.unwrap_or(Err(AppendFailure::Unavailable))
    }

    /// Runs `f` on a read connection on the blocking pool, at most
    /// [`Limits::reads_concurrent_max`] at once.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AnyStore) -> Result<T, ApiError> + Send + 'static,
    {
        let permit = self
            .inner
            .reads
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal("read permits", e))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let store = match inner.idle.lock().map(|mut idle| idle.pop()) {
                Ok(Some(store)) => store,
                _ => AnyStore::open(&inner.target)
                    .map_err(|e| ApiError::internal("opening a read connection", e))?,
            };
            let result = f(&store);
            // A connection that failed is dropped rather than reused.
            if !matches!(result, Err(ApiError::Internal)) {
                if let Ok(mut idle) = inner.idle.lock() {
                    if idle.len() < inner.limits.reads_concurrent_max {
                        idle.push(store);
                    }
                }
            }
            result
        })
        .await
        .map_err(|e| ApiError::internal("read task", e))?
    }
}

/// The one writer of the log.
struct Sequencer {
    target: Target,
    /// The tree size after our last append: a store of another size was
    /// appended to by another process, so our registry and rules are stale.
    known_size: u64,
    log: Log<AnyStore>,
    /// `None` after a rebuild failed; the next append tries again.
    rule: Option<Box<dyn SubmissionRule + Send>>,
    rules: RuleFactory,
    log_key: SigningKey,
}

impl Sequencer {
    fn run(mut self, mut queue: mpsc::Receiver<AppendJob>) {
        while let Some(job) = queue.blocking_recv() {
            let outcome = self.append(&job.submissions);
            // The client may have gone; the append stands either way.
            let _ = job.reply.send(outcome);
        }
    }

    fn append(&mut self, submissions: &[SignedSubmission]) -> Result<AppendReceipt, AppendFailure> {
        // One cheap query: has another process appended since our last append?
        // Then our copy of the registry (next seqs, keys) and the rules are
        // stale and would refuse good submissions; reload them first.
        match self.log.size() {
            Ok(size) if size.0 == self.known_size => {}
            Ok(_) => {
                if let Err(e) = self.reopen() {
                    eprintln!(
                        "custodian-server: reopening the log after another writer's append: {e}"
                    );
                    return Err(AppendFailure::Unavailable);
                }
            }
            Err(e) => {
                eprintln!("custodian-server: reading the tree size: {e}");
                return Err(AppendFailure::Unavailable);
            }
        }
        let first = self.append_once(submissions);
        if let Err(AppendFailure::Append(AppendError::Store(StoreError::Conflict { .. }))) = first {
            // Another process appended: our registry and rules are stale.
            if let Err(e) = self.reopen() {
                eprintln!("custodian-server: reopening the log after a concurrent append: {e}");
                return Err(AppendFailure::Unavailable);
            }
            return self.append_once(submissions);
        }
        first
    }

    fn append_once(
        &mut self,
        submissions: &[SignedSubmission],
    ) -> Result<AppendReceipt, AppendFailure> {
        if self.rule.is_none() {
            self.rebuild_rule()?;
        }
        let rule = self.rule.as_mut().ok_or(AppendFailure::Unavailable)?;
        let result = self
            .log
            .append_with(submissions, &self.log_key, rule.as_mut());
        match result {
            Ok(receipt) => {
                self.known_size = receipt.size.0;
                Ok(receipt)
            }
            Err(e) => {
                if rule_touched(&e) {
                    self.rule = None;
                    // Rebuild now, so the next append does not wait for it;
                    // a failure is retried by the next append.
                    let _ = self.rebuild_rule();
                }
                Err(AppendFailure::Append(e))
            }
        }
    }

    fn rebuild_rule(&mut self) -> Result<(), AppendFailure> {
        match (self.rules)(&self.log) {
            Ok(rule) => {
                self.rule = Some(rule);
                Ok(())
            }
            Err(e) => {
                eprintln!("custodian-server: building the engines' rules: {e}");
                Err(AppendFailure::Unavailable)
            }
        }
    }

    fn reopen(&mut self) -> Result<(), StoreError> {
        self.log = Log::open(AnyStore::open(&self.target)?)?;
        self.known_size = self.log.size()?.0;
        self.rule = None;
        let _ = self.rebuild_rule();
        Ok(())
    }
}

/// Whether the rule may have seen a submission before `e` stopped the append.
/// `Log::append_with` checks each submission's registry rules, encoding and
/// signatures before handing it to the rule, so a refusal of that kind on the
/// first submission leaves the rule untouched.
fn rule_touched(e: &AppendError) -> bool {
    !matches!(
        e,
        AppendError::Empty
            | AppendError::WrongLogKey { .. }
            | AppendError::Rejected { index: 0, .. }
            | AppendError::Encoding { index: 0, .. }
    )
}

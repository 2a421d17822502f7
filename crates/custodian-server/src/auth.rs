//! Signed reads: who is asking (FORMATS.md §18).
//!
//! A request may carry one header,
//!
//! ```text
//! Authorization: Custodian-Read actor=<actor id>,time=<YYYY-MM-DDTHH:MM:SSZ>,nonce=<32 lowercase hex>,sig=<base64>
//! ```
//!
//! where `sig` is the Ed25519 signature (RFC 8032; standard base64 with
//! padding) by the actor's current registered key over the UTF-8 bytes
//!
//! ```text
//! custodian-read/v1\n<log origin>\n<METHOD>\n<path and query exactly as sent>\n<time>\n<nonce>\n
//! ```
//!
//! The [`identify`] middleware checks it and puts the request's [`Viewer`]
//! in its extensions: [`Viewer::Public`] without the header, the actor with
//! it. A header that does not let the request in is answered `401` with a
//! JSON error naming `authorization` as the field, and the request goes no
//! further:
//!
//! | code | when |
//! |---|---|
//! | `bad_authorization` | not exactly the form above (another scheme, a missing or extra parameter, a bad id, time, nonce or base64), or two headers |
//! | `expired` | `time` more than [`WINDOW_SECONDS`] from the server's clock, either way |
//! | `unknown_actor` | the actor is not registered in the log, or is revoked |
//! | `forged` | the signature does not verify under the actor's current key (another key, another path, method, origin, time or nonce) |
//! | `replayed` | the nonce was already used within the window |
//! | `oversized` (`431`) | a header over [`AUTHORIZATION_BYTES_MAX`] bytes |
//!
//! **Why these checks suffice.** The signature binds the actor, the log (its
//! origin), the method and the exact request target, so a signed read cannot
//! be moved to another route, parameter or log; the time bounds how long a
//! captured header stays useful, and the nonce cache makes it single-use
//! within that time. The nonce cache only has to remember a nonce until its
//! signed time leaves the window, after which the time check refuses it
//! anyway: so the cache is pruned as times leave the window and is bounded
//! ([`NONCES_MAX`]; when full, a signed read is answered `503` rather than a
//! nonce forgotten early). Only requests whose signature verified add a nonce,
//! so an anonymous client cannot fill it.
//!
//! The actor's key, role, party and revocation come from the log's own
//! registry (the store's actor records, which the audit rebuilds from the
//! leaves), cached and reloaded whenever the tree size changes, so a rotation
//! or revocation takes effect with the append that records it.
//!
//! The crypto is `custodian-ledger`'s Ed25519 (`verify_strict`, FORMATS.md
//! §6); [`sign_read`] is the signer for tests and Rust clients.

use crate::access::{leaf_restriction, Restriction, Viewer};
use crate::error::ApiError;
use crate::ledger::Ledger;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custodian_core::encoding::{base64, hex, unbase64};
use custodian_core::{ActorId, Party, SignedSubmission, UtcTime};
use custodian_ledger::keys::{verify_ed25519, SigningKey};
use custodian_ledger::registry::ActorRecord;
use custodian_store::any::AnyStore;
use custodian_store::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// The authorization scheme's name (matched without regard to case, as
/// RFC 9110 §11.1 asks of schemes).
pub const SCHEME: &str = "Custodian-Read";
/// The first line of every signed message: the scheme's domain separation.
pub const CONTEXT: &str = "custodian-read/v1";
/// Longest `Authorization` header accepted, in bytes (a real one is about
/// 200: an actor id of at most 64 bytes, a time, a nonce and a signature).
pub const AUTHORIZATION_BYTES_MAX: usize = 2048;
/// How far a signed time may be from the server's clock, either way.
pub const WINDOW_SECONDS: i64 = 300;
/// Most nonces remembered at once: a nonce is kept until its signed time is
/// more than [`WINDOW_SECONDS`] in the past, so at most this many signed reads
/// are accepted per 600 s (about 430 per second sustained).
pub const NONCES_MAX: usize = 1 << 18;
/// Bytes of a nonce (written as 32 lowercase hex digits).
pub const NONCE_BYTES: usize = 16;
/// Full entry bundles whose readers are remembered (each entry is a few bytes).
const BUNDLES_REMEMBERED_MAX: usize = 4096;

/// The bytes an actor signs for a read (FORMATS.md §18):
/// `custodian-read/v1\n<origin>\n<METHOD>\n<path and query>\n<time>\n<nonce hex>\n`.
pub fn read_message(
    origin: &str,
    method: &str,
    path_and_query: &str,
    time: UtcTime,
    nonce: &[u8; NONCE_BYTES],
) -> Vec<u8> {
    format!(
        "{CONTEXT}\n{origin}\n{method}\n{path_and_query}\n{time}\n{}\n",
        hex(nonce)
    )
    .into_bytes()
}

/// The `Authorization` header value of a signed read by the actor whose key is
/// `key` (the key's name is the actor id, FORMATS.md §6): a client signs
/// `method` and `path_and_query` exactly as it will send them.
pub fn sign_read(
    key: &SigningKey,
    origin: &str,
    method: &str,
    path_and_query: &str,
    time: UtcTime,
    nonce: &[u8; NONCE_BYTES],
) -> String {
    let signature = key.sign(&read_message(origin, method, path_and_query, time, nonce));
    format!(
        "{SCHEME} actor={},time={time},nonce={},sig={}",
        key.name(),
        hex(nonce),
        base64(&signature)
    )
}

/// A parsed signed-read header, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SignedRead {
    actor: ActorId,
    time: UtcTime,
    nonce: [u8; NONCE_BYTES],
    signature: [u8; 64],
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::Unauthorized {
        code: "bad_authorization",
        message: format!(
            "{}; expected `{SCHEME} actor=<id>,time=<YYYY-MM-DDTHH:MM:SSZ>,nonce=<32 lowercase hex>,sig=<base64>` (FORMATS.md §18), or no Authorization header to read as the public",
            message.into()
        ),
    }
}

impl SignedRead {
    /// Parses a header value strictly: exactly the form [`sign_read`] writes,
    /// so that one header has one reading (STYLE §6).
    fn parse(value: &[u8]) -> Result<SignedRead, ApiError> {
        let text = std::str::from_utf8(value)
            .ok()
            .filter(|t| t.bytes().all(|b| (0x20..0x7f).contains(&b)))
            .ok_or_else(|| bad("the header is not printable ASCII"))?;
        let scheme_len = SCHEME.len();
        let scheme_ok = text.len() > scheme_len
            && text[..scheme_len].eq_ignore_ascii_case(SCHEME)
            && text.as_bytes()[scheme_len] == b' ';
        if !scheme_ok {
            let found: String = text
                .split(' ')
                .next()
                .unwrap_or("")
                .chars()
                .take(32)
                .collect();
            return Err(bad(format!("another scheme ({found:?})")));
        }
        let params: Vec<&str> = text[scheme_len + 1..].split(',').collect();
        let names = ["actor", "time", "nonce", "sig"];
        if params.len() != names.len() {
            return Err(bad(format!(
                "{} comma-separated parameters, not 4",
                params.len()
            )));
        }
        let mut values = [""; 4];
        for (i, (param, name)) in params.iter().zip(names).enumerate() {
            match param.split_once('=') {
                Some((n, v)) if n == name && !v.is_empty() => values[i] = v,
                _ => return Err(bad(format!("parameter {} is not `{name}=<value>`", i + 1))),
            }
        }
        let [actor, time, nonce, sig] = values;
        let actor = ActorId::parse(actor).map_err(|e| bad(format!("actor: {e}")))?;
        let time = UtcTime::parse(time).map_err(|e| bad(format!("time: {e}")))?;
        let nonce_ok = nonce.len() == 2 * NONCE_BYTES
            && nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let nonce = custodian_core::encoding::unhex(nonce)
            .ok()
            .filter(|_| nonce_ok)
            .and_then(|bytes| <[u8; NONCE_BYTES]>::try_from(bytes).ok())
            .ok_or_else(|| bad("nonce: expected 32 lowercase hex digits"))?;
        let signature = unbase64(sig)
            .ok()
            .filter(|bytes| base64(bytes) == sig)
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .ok_or_else(|| bad("sig: expected 64 bytes in standard padded base64"))?;
        Ok(SignedRead {
            actor,
            time,
            nonce,
            signature,
        })
    }
}

/// The log's actors as of one tree size.
pub(crate) struct Actors {
    size: u64,
    records: BTreeMap<ActorId, ActorRecord>,
}

impl Actors {
    /// The party of an actor, if registered.
    pub(crate) fn party(&self, actor: &ActorId) -> Option<&Party> {
        self.records.get(actor).map(|r| &r.party)
    }

    /// Who may read a leaf, from its bytes: [`leaf_restriction`] with the
    /// submitter's party. A leaf that does not parse (damage the audit
    /// reports) is treated as the most restricted: inspectors only.
    pub(crate) fn leaf_restriction(&self, leaf: &[u8]) -> Restriction {
        match SignedSubmission::from_leaf_bytes(leaf) {
            Ok(signed) => {
                let party = self.party(&signed.submission.actor);
                leaf_restriction(&signed, party)
            }
            Err(_) => Restriction::AllAccounts,
        }
    }
}

/// Nonces of accepted signed reads, with their signed times.
#[derive(Default)]
struct Nonces {
    seen: HashSet<[u8; NONCE_BYTES]>,
    by_time: BTreeSet<(i64, [u8; NONCE_BYTES])>,
}

impl Nonces {
    /// Forgets the nonces whose times have left the window, then records
    /// `nonce`; `Err` if it was already recorded, or the cache is full.
    fn record(&mut self, nonce: [u8; NONCE_BYTES], time: i64, now: i64) -> Result<(), ApiError> {
        while let Some(&(oldest, n)) = self.by_time.first() {
            if oldest >= now - WINDOW_SECONDS {
                break;
            }
            self.by_time.remove(&(oldest, n));
            self.seen.remove(&n);
        }
        if self.seen.contains(&nonce) {
            return Err(ApiError::Unauthorized {
                code: "replayed",
                message: format!(
                    "nonce {} was already used within the last {WINDOW_SECONDS} s; sign each request with a fresh random nonce",
                    hex(&nonce)
                ),
            });
        }
        if self.seen.len() >= NONCES_MAX {
            return Err(ApiError::Busy {
                message: format!(
                    "{NONCES_MAX} signed reads were accepted in the last {} s; try again",
                    2 * WINDOW_SECONDS
                ),
            });
        }
        self.seen.insert(nonce);
        self.by_time.insert((time, nonce));
        Ok(())
    }
}

/// The state signed reads and restricted reads share, one per served log.
#[derive(Default)]
pub(crate) struct Guard {
    actors: Mutex<Option<Arc<Actors>>>,
    nonces: Mutex<Nonces>,
    /// The restrictions (other than public) on each full entry bundle's
    /// leaves: a full bundle never changes, nor does its submitters' party.
    bundles: Mutex<HashMap<u64, Arc<[Restriction]>>>,
}

/// A lock whose holder panicked still guards consistent data here (each
/// critical section is a few map operations), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Guard {
    /// The actors as of the store's current size: the cached copy, or the
    /// store's actor records if the tree has grown since. Blocking.
    pub(crate) fn actors(&self, store: &AnyStore) -> Result<Arc<Actors>, StoreError> {
        // The size first: records read after it are at least as new, so a
        // revocation is never cached under a size that predates it.
        let size = store.tree_size()?.0;
        if let Some(cached) = lock(&self.actors).as_ref() {
            if cached.size == size {
                return Ok(cached.clone());
            }
        }
        let records = store
            .actors()?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let fresh = Arc::new(Actors { size, records });
        let mut cached = lock(&self.actors);
        if cached.as_ref().is_none_or(|c| c.size <= size) {
            *cached = Some(fresh.clone());
        }
        Ok(fresh)
    }

    /// The remembered restrictions of full bundle `index`, if any.
    pub(crate) fn bundle(&self, index: u64) -> Option<Arc<[Restriction]>> {
        lock(&self.bundles).get(&index).cloned()
    }

    /// Remembers the restrictions of full bundle `index`.
    pub(crate) fn remember_bundle(&self, index: u64, restrictions: Arc<[Restriction]>) {
        let mut bundles = lock(&self.bundles);
        if bundles.len() >= BUNDLES_REMEMBERED_MAX {
            bundles.clear();
        }
        bundles.insert(index, restrictions);
    }
}

/// Seconds since 1970 on the server's clock.
fn now_unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Who sent the request of these `headers`, `method` and `uri`: the public, or
/// the actor whose signed read verifies. (Not the whole request: its body is
/// not `Sync`, so a borrow of it cannot be held across an await.)
async fn viewer_of(
    ledger: &Ledger,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
) -> Result<Viewer, ApiError> {
    let mut headers = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = headers.next() else {
        return Ok(Viewer::Public);
    };
    if value.len() > AUTHORIZATION_BYTES_MAX {
        return Err(ApiError::HeaderTooLarge {
            found: value.len(),
            bytes_max: AUTHORIZATION_BYTES_MAX,
        });
    }
    if headers.next().is_some() {
        return Err(bad("more than one Authorization header"));
    }
    let read = SignedRead::parse(value.as_bytes())?;

    let now = now_unix_seconds();
    let skew = read.time.unix_seconds().saturating_sub(now);
    if skew.abs() > WINDOW_SECONDS {
        let server_time =
            UtcTime::from_unix_seconds(now).map_or_else(|| now.to_string(), |t| t.to_string());
        return Err(ApiError::Unauthorized {
            code: "expired",
            message: format!(
                "time {} is {} s {} the server's clock ({server_time}); a signed read is good for {WINDOW_SECONDS} s either way",
                read.time,
                skew.abs(),
                if skew < 0 { "behind" } else { "ahead of" }
            ),
        });
    }

    let guard_ledger = ledger.clone();
    let actors = ledger
        .read(move |store| Ok(guard_ledger.guard().actors(store)?))
        .await?;
    let record = match actors.records.get(&read.actor) {
        Some(record) if record.revoked_at.is_none() => record,
        Some(record) => {
            return Err(ApiError::Unauthorized {
                code: "unknown_actor",
                message: format!(
                    "actor {} was revoked at leaf {}",
                    read.actor,
                    record.revoked_at.map_or(0, |l| l.0)
                ),
            })
        }
        None => {
            return Err(ApiError::Unauthorized {
                code: "unknown_actor",
                message: format!("actor {} is not registered in this log", read.actor),
            })
        }
    };

    let method = method.as_str();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path(), |pq| pq.as_str());
    let message = read_message(ledger.origin(), method, target, read.time, &read.nonce);
    if verify_ed25519(&record.public_key.0, &message, &read.signature).is_err() {
        return Err(ApiError::Unauthorized {
            code: "forged",
            message: format!(
                "the signature does not verify under actor {}'s current key over `{CONTEXT}`, origin {:?}, {method} {target:?}, the time and the nonce",
                read.actor,
                ledger.origin()
            ),
        });
    }

    lock(&ledger.guard().nonces).record(read.nonce, read.time.unix_seconds(), now)?;
    Ok(Viewer::Actor {
        id: record.id.clone(),
        role: record.role,
        party: record.party.clone(),
    })
}

/// Middleware: puts the request's [`Viewer`] in its extensions (handlers take
/// `Extension<Viewer>`), or answers the JSON error of a signed read that does
/// not let the request in.
pub(crate) async fn identify(
    State(ledger): State<Ledger>,
    mut request: Request,
    next: Next,
) -> Response {
    let viewer = viewer_of(&ledger, request.headers(), request.method(), request.uri()).await;
    match viewer {
        Ok(viewer) => {
            request.extensions_mut().insert(viewer);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodian_core::encoding::unhex;

    /// The vector of FORMATS.md §18, computed by another implementation.
    const VECTOR: &str = include_str!("../tests/vectors/signed-read.json");

    fn field(v: &serde_json::Value, name: &str) -> String {
        v[name].as_str().expect(name).to_string()
    }

    #[test]
    fn the_vector_is_signed_byte_for_byte_and_parses_back() {
        let v: serde_json::Value = serde_json::from_str(VECTOR).expect("JSON");
        let key = SigningKey::parse(&field(&v, "signer_key")).expect("key");
        let seed = unhex(&field(&v, "seed_hex")).expect("hex");
        let seed: [u8; 32] = seed.try_into().expect("32 bytes");
        assert_eq!(
            SigningKey::from_seed(&field(&v, "actor"), seed)
                .expect("key")
                .to_text(),
            key.to_text()
        );
        assert_eq!(key.verifier().to_text(), field(&v, "verifier_key"));
        let time = UtcTime::parse(&field(&v, "time")).expect("time");
        let nonce: [u8; 16] = unhex(&field(&v, "nonce"))
            .expect("hex")
            .try_into()
            .expect("16 bytes");
        let (origin, method, target) = (
            field(&v, "origin"),
            field(&v, "method"),
            field(&v, "path_and_query"),
        );
        assert_eq!(
            read_message(&origin, &method, &target, time, &nonce),
            unhex(&field(&v, "message_hex")).expect("hex")
        );
        let header = sign_read(&key, &origin, &method, &target, time, &nonce);
        assert_eq!(header, field(&v, "authorization"));
        let read = SignedRead::parse(header.as_bytes()).expect("parses");
        assert_eq!(
            (read.actor.as_str(), read.time, read.nonce),
            ("xaa-officer-1", time, nonce)
        );
        let message = read_message(&origin, &method, &target, time, &nonce);
        verify_ed25519(&key.verifier().public_key(), &message, &read.signature).expect("verifies");
        // The scheme's name is matched without regard to case (RFC 9110 §11.1).
        let lower = header.replacen(SCHEME, "custodian-read", 1);
        assert_eq!(SignedRead::parse(lower.as_bytes()), Ok(read));
    }

    #[test]
    fn anything_but_the_exact_form_is_a_bad_authorization() {
        let v: serde_json::Value = serde_json::from_str(VECTOR).expect("JSON");
        let good = field(&v, "authorization");
        let (head, sig) = good.split_once(",sig=").expect("sig");
        let cases = [
            "Bearer abc".to_string(),
            "Custodian-Read".to_string(),
            format!("Custodian-Read  {}", &good[SCHEME.len() + 1..]),
            good.replace(",time=", ", time="),
            good.replace("actor=", "who="),
            format!("{good},extra=1"),
            head.to_string(),
            good.replace("xaa-officer-1", "XAA officer"),
            good.replace("2026-01-05T08:00:00Z", "2026-01-05T08:00:00+00:00"),
            good.replace(
                "00112233445566778899aabbccddeeff",
                "00112233445566778899AABBCCDDEEFF",
            ),
            good.replace("00112233445566778899aabbccddeeff", "0011223344556677"),
            format!("{head},sig={}", sig.trim_end_matches('=')),
            format!("{head},sig={}", &sig[4..]),
            format!("{head},sig=not base64!"),
            good.replace('=', "\u{e9}"),
        ];
        for case in cases {
            match SignedRead::parse(case.as_bytes()) {
                Err(e) => assert_eq!(e.code(), "bad_authorization", "{case}"),
                Ok(_) => panic!("accepted {case:?}"),
            }
        }
        assert!(SignedRead::parse(b"Custodian-Read actor=a,time=b\xff").is_err());
    }

    #[test]
    fn a_nonce_is_single_use_until_its_time_leaves_the_window() {
        let mut nonces = Nonces::default();
        let now = 1_767_600_000;
        nonces.record([1; 16], now, now).expect("first use");
        let again = nonces.record([1; 16], now - 100, now + 10);
        assert_eq!(again.err().map(|e| e.code()), Some("replayed"));
        nonces
            .record([2; 16], now + WINDOW_SECONDS, now)
            .expect("future");
        // Once its time has left the window, the nonce is forgotten (the time
        // check refuses the header from then on); the other one is kept.
        nonces
            .record([3; 16], now + 2 * WINDOW_SECONDS, now + WINDOW_SECONDS + 1)
            .expect("pruned");
        assert_eq!(nonces.seen.len(), 2);
        assert!(!nonces.seen.contains(&[1; 16]));
        assert_eq!(nonces.by_time.len(), nonces.seen.len());
    }
}

//! The state-machine model of the ledger's rules (STYLE §7, proptest "state
//! machine" chapter), shared by the backends' tests: `model.rs` runs it on
//! SQLite, `postgres.rs` on PostgreSQL. Random sequences of operations on a real
//! log are checked against a small in-memory model; every operation must be
//! accepted or refused exactly as the model says, and afterwards the log's size,
//! its actor registry and a full audit must agree with the model.

use crate::common::{actor, at, key, ORIGIN};
use custodian_core::event::{ActorRegister, ActorRevoke, ActorRotateKey, PublicKey};
use custodian_core::{Event, EventId, Payload, Role, SignedSubmission, StateCode, Submission};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::sign_submission;
use custodian_store::audit::audit;
use custodian_store::log::{genesis_submission, Log};
use custodian_store::{Meta, Store};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The fixed facts every model log is created with.
pub fn meta() -> Meta {
    Meta {
        origin: ORIGIN.into(),
        verifier_key: key(ORIGIN).verifier().to_text(),
    }
}

/// Runs `ops` on a log on `store` (new, created with [`meta`]) and checks it
/// against the model at every step and at the end.
pub fn check_model<S: Store>(store: S, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut h = Harness::new(store);
    for (i, op) in ops.iter().enumerate() {
        let (got, expect) = h.step(op);
        prop_assert_eq!(got, expect, "step {}: {:?}", i, op);
    }
    let store = h.log.store();
    let report = audit(store, Some(&key(ORIGIN).verifier()), |_, _| {}).expect("audit passes");
    prop_assert_eq!(report.leaves, h.accepted);
    for (a, m) in &h.actors {
        let record = h.log.registry().get(&actor(&name(*a))).expect("registered");
        prop_assert_eq!(record.next_seq, m.next_seq.max(1));
        prop_assert_eq!(record.revoked_at.is_some(), m.revoked);
        prop_assert_eq!(
            record.public_key.0,
            versioned_key(*a, m.key_version).verifier().public_key()
        );
    }
    Ok(())
}

const ACTORS: usize = 4;

/// One operation on the log.
#[derive(Clone, Debug)]
pub enum Op {
    /// The administrator registers actor `a` (state authority or inspector).
    Register { a: usize, inspector: bool },
    /// Actor `a` appends a site registration with its current key and next seq.
    Append { a: usize },
    /// Actor `a` re-sends its last accepted submission.
    Replay { a: usize },
    /// Actor `a` skips a sequence number.
    Gap { a: usize },
    /// Actor `a` signs with a key that is not its own.
    Forge { a: usize },
    /// The administrator rotates actor `a`'s key.
    Rotate { a: usize },
    /// The administrator revokes actor `a`.
    Revoke { a: usize },
}

/// Any operation; appends twice as often as the others.
pub fn op() -> impl Strategy<Value = Op> {
    let a = 0..ACTORS;
    prop_oneof![
        (a.clone(), any::<bool>()).prop_map(|(a, inspector)| Op::Register { a, inspector }),
        a.clone().prop_map(|a| Op::Append { a }),
        a.clone().prop_map(|a| Op::Append { a }),
        a.clone().prop_map(|a| Op::Replay { a }),
        a.clone().prop_map(|a| Op::Gap { a }),
        a.clone().prop_map(|a| Op::Forge { a }),
        a.clone().prop_map(|a| Op::Rotate { a }),
        a.prop_map(|a| Op::Revoke { a }),
    ]
}

#[derive(Clone, Debug, Default)]
struct ModelActor {
    role_inspector: bool,
    key_version: u32,
    revoked: bool,
    next_seq: u64,
    last: Option<SignedSubmission>,
}

struct Harness<S: Store> {
    log: Log<S>,
    log_key: SigningKey,
    admin_seq: u64,
    actors: BTreeMap<usize, ModelActor>,
    accepted: u64,
}

fn name(a: usize) -> String {
    format!("actor-{a}")
}

/// Actor `a`'s key number `version`: a deterministic seed per version, named
/// after the actor.
fn versioned_key(a: usize, version: u32) -> SigningKey {
    use sha2::Digest;
    let seed: [u8; 32] = sha2::Sha256::digest(format!("custodian model key {a}#{version}")).into();
    SigningKey::from_seed(&name(a), seed).expect("valid key name")
}

impl<S: Store> Harness<S> {
    /// A log on `store`, which must be new and hold [`meta`].
    fn new(store: S) -> Harness<S> {
        let log_key = key(ORIGIN);
        let mut log = Log::open(store).expect("open");
        let genesis = genesis_submission(
            ORIGIN,
            actor("admin"),
            &key("admin"),
            custodian_core::Party::Body("secretariat".into()),
            None,
            at(0),
        )
        .expect("genesis");
        log.append(&[genesis], &log_key).expect("genesis appends");
        Harness {
            log,
            log_key,
            admin_seq: 1,
            actors: BTreeMap::new(),
            accepted: 1,
        }
    }

    fn admin(&mut self, payload: Payload) -> bool {
        let seq = self.admin_seq + 1;
        let signed = submission("admin", seq, payload, &key("admin"));
        let ok = self.log.append(&[signed], &self.log_key).is_ok();
        if ok {
            self.admin_seq = seq;
            self.accepted += 1;
        }
        ok
    }

    /// Applies `op`; returns (accepted by the log, accepted by the model).
    fn step(&mut self, op: &Op) -> (bool, bool) {
        match *op {
            Op::Register { a, inspector } => {
                let expect = !self.actors.contains_key(&a);
                let payload = Payload::ActorRegister(ActorRegister {
                    actor: actor(&name(a)),
                    role: if inspector {
                        Role::Inspector
                    } else {
                        Role::StateAuthority
                    },
                    party: custodian_core::Party::State(StateCode::parse("XAA").unwrap()),
                    public_key: PublicKey(versioned_key(a, 0).verifier().public_key()),
                    name: None,
                });
                let got = self.admin(payload);
                if got {
                    self.actors.insert(
                        a,
                        ModelActor {
                            role_inspector: inspector,
                            next_seq: 1,
                            ..Default::default()
                        },
                    );
                }
                (got, expect)
            }
            Op::Rotate { a } => {
                let model = self.actors.get(&a).cloned();
                let expect = model.as_ref().is_some_and(|m| !m.revoked);
                let version = model.map_or(1, |m| m.key_version + 1);
                let got = self.admin(Payload::ActorRotateKey(ActorRotateKey {
                    actor: actor(&name(a)),
                    public_key: PublicKey(versioned_key(a, version).verifier().public_key()),
                }));
                if got {
                    self.actors.get_mut(&a).expect("model has it").key_version = version;
                }
                (got, expect)
            }
            Op::Revoke { a } => {
                let expect = self.actors.get(&a).is_some_and(|m| !m.revoked);
                let got = self.admin(Payload::ActorRevoke(ActorRevoke {
                    actor: actor(&name(a)),
                    reason: "test".into(),
                    compromised_since: None,
                }));
                if got {
                    self.actors.get_mut(&a).expect("model has it").revoked = true;
                }
                (got, expect)
            }
            Op::Append { a } | Op::Gap { a } | Op::Forge { a } => {
                let model = self.actors.get(&a).cloned().unwrap_or_default();
                let registered = self.actors.contains_key(&a);
                let gap = matches!(op, Op::Gap { .. });
                let forge = matches!(op, Op::Forge { .. });
                let seq = model.next_seq.max(1) + u64::from(gap);
                let signer = if forge {
                    versioned_key(a, model.key_version + 100)
                } else {
                    versioned_key(a, model.key_version)
                };
                let signed = submission(&name(a), seq, site(a, seq), &signer);
                // Inspectors may not register sites (role table, FORMATS.md §3).
                let expect =
                    registered && !model.revoked && !gap && !forge && !model.role_inspector;
                let got = self
                    .log
                    .append(std::slice::from_ref(&signed), &self.log_key)
                    .is_ok();
                if got {
                    let m = self.actors.get_mut(&a).expect("model has it");
                    m.next_seq = seq + 1;
                    m.last = Some(signed);
                    self.accepted += 1;
                }
                (got, expect)
            }
            Op::Replay { a } => {
                let Some(last) = self.actors.get(&a).and_then(|m| m.last.clone()) else {
                    return (false, false);
                };
                let got = self.log.append(&[last], &self.log_key).is_ok();
                (got, false)
            }
        }
    }
}

fn site(a: usize, seq: u64) -> Payload {
    Payload::SiteRegister(custodian_core::event::SiteRegister {
        site: custodian_core::ids::SiteId::parse(&format!("site-{a}-{seq}")).unwrap(),
        name: format!("Site {a}/{seq}"),
        state: StateCode::parse("XAA").unwrap(),
        site_type: "storage".into(),
    })
}

fn submission(actor_name: &str, seq: u64, payload: Payload, key: &SigningKey) -> SignedSubmission {
    let event = Event {
        id: EventId::parse(&format!("{actor_name}:{seq}:0")).unwrap(),
        time: at(seq as i64),
        actor: actor(actor_name),
        payload,
        approvals: Vec::new(),
    };
    sign_submission(
        Submission {
            log: ORIGIN.into(),
            actor: actor(actor_name),
            seq,
            events: vec![event],
        },
        key,
    )
    .expect("sign")
}

//! The approval policy (the two-person rule, generalised; issue 5, point 2),
//! through the custody rule alone and through a real log on SQLite: an insider
//! acting alone is refused, with the policy's words and the party it needs;
//! approvers of the wrong party or role do not count; nothing of a refused group
//! is applied; bad approvals are refused at append; the audit re-checks every
//! leaf under the policy then in force and names the leaf that breaks it; bad
//! input is refused naming the event and the field, and changes nothing.
//!
//! States XAA, XBB and XZZ are fictional.

mod common;

use common::*;
use custodian_core::event::{
    ActorRegister, ActorRevoke, ControlTransfer, CustodyTransfer, ItemArrive, ItemAssign,
    ItemDepart, ItemDeployAbroad, ItemDismantle, ItemExercise, ItemProduce, ItemStatus,
    PartySelector, PolicyRule, PolicySet, RegistryRow, Requirement, SiteRegister,
};
use custodian_core::{
    Date, Event, EventId, EventKind, LeafIndex, Party, Payload, Role, SignedSubmission, Submission,
    UtcTime,
};
use custodian_custody::{Ceased, Custody, CustodyRule};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::registry::{ActorRecord, Registry, RegistryError, RuleError, SubmissionRule};
use custodian_ledger::submission::{approve, public_key, sign_submission};
use custodian_store::audit::{audit, audit_with, AuditFailure, AuditReport, Check};
use custodian_store::log::{genesis_submission, AppendError, AppendReceipt, Log};
use custodian_store::sqlite::SqliteStore;
use custodian_store::{Meta, Store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

const ORIGIN: &str = "custodian.test/custody-policy";

/// The actors besides the administrator `admin`: (id, role, party).
const ACTORS: &[(&str, Role, &str)] = &[
    ("xaa-officer-1", Role::StateAuthority, "state:XAA"),
    ("xaa-officer-2", Role::StateAuthority, "state:XAA"),
    ("xaa-officer-3", Role::StateAuthority, "state:XAA"),
    ("xbb-officer-1", Role::StateAuthority, "state:XBB"),
    ("inspector-1", Role::Inspector, "body:inspectorate"),
    // Right party, wrong role: an observer may approve but counts for nothing.
    ("xaa-observer-1", Role::Observer, "state:XAA"),
    ("secretariat-1", Role::Secretariat, "body:secretariat"),
    ("admin-2", Role::Administrator, "body:secretariat"),
];

/// A window end long after every event of these tests.
const FAR: &str = "2030-01-01T00:00:00Z";

// ---------------------------------------------------------------- builders

/// An event by `by`, co-signed by each of `approvers` over its bytes.
fn event(id: &str, time: UtcTime, by: &str, payload: Payload, approvers: &[&str]) -> Event {
    let mut e = Event {
        id: EventId::parse(id).expect("valid event id"),
        time,
        actor: actor(by),
        payload,
        approvals: Vec::new(),
    };
    for a in approvers {
        let approval = approve(&e, actor(a), &key(a)).expect("approve");
        e.approvals.push(approval);
    }
    e
}

fn submission(by: &str, seq: u64, events: Vec<Event>) -> SignedSubmission {
    sign_submission(
        Submission {
            log: ORIGIN.into(),
            actor: actor(by),
            seq,
            events,
        },
        &key(by),
    )
    .expect("sign")
}

fn register_site(id: &str, state: &str) -> Payload {
    Payload::SiteRegister(SiteRegister {
        site: site(id),
        name: id.into(),
        state: st(state),
        site_type: "storage".into(),
    })
}

fn produce(id: &str, at: &str, custodian: &str, controller: &str, status: ItemStatus) -> Payload {
    Payload::ItemProduce(ItemProduce {
        item: item(id),
        item_type: "bomb".into(),
        site: site(at),
        custodian: st(custodian),
        controller: st(controller),
        status,
    })
}

fn depart(id: &str, from: &str, to: &str) -> Payload {
    Payload::ItemDepart(ItemDepart {
        item: item(id),
        from: site(from),
        to: site(to),
        arrive_by_utc: t(FAR),
    })
}

fn arrive(id: &str, at: &str) -> Payload {
    Payload::ItemArrive(ItemArrive {
        item: item(id),
        site: site(at),
    })
}

fn custody_transfer(id: &str, from: &str, to: &str) -> Payload {
    Payload::CustodyTransfer(CustodyTransfer {
        item: item(id),
        from: st(from),
        to: st(to),
    })
}

fn control_transfer(id: &str, from: &str, to: &str) -> Payload {
    Payload::ControlTransfer(ControlTransfer {
        item: item(id),
        from: st(from),
        to: st(to),
        condition: None,
        wartime: false,
    })
}

fn deploy_abroad(id: &str, at: &str, host: &str) -> Payload {
    Payload::ItemDeployAbroad(ItemDeployAbroad {
        item: item(id),
        site: site(at),
        host: st(host),
        arrangement: "nuclear sharing (hypothetical)".into(),
    })
}

fn assign(id: &str, unit_state: &str) -> Payload {
    Payload::ItemAssign(ItemAssign {
        item: item(id),
        unit: "1st squadron".into(),
        unit_state: st(unit_state),
        delivery_system: Some("dual-capable aircraft".into()),
    })
}

fn exercise(id: &str, at: &str) -> Payload {
    Payload::ItemExercise(ItemExercise {
        item: item(id),
        site: site(at),
        exercise: "certification".into(),
        participants: vec![st("XAA")],
    })
}

fn dismantle(id: &str, at: &str) -> Payload {
    Payload::ItemDismantle(ItemDismantle {
        item: item(id),
        site: site(at),
    })
}

fn states_row(code: &str) -> Payload {
    let mut row = serde_json::Map::new();
    row.insert("iso3".into(), code.into());
    row.insert("name".into(), format!("State {code}").into());
    Payload::RegistryRow(RegistryRow {
        table: "states".into(),
        row,
    })
}

fn policy(rules: &[(&str, u32, Role, PartySelector)]) -> Payload {
    Payload::PolicySet(PolicySet {
        rules: rules
            .iter()
            .map(|(kind, count, role, party)| PolicyRule {
                kind: (*kind).into(),
                require: vec![Requirement {
                    count: *count,
                    role: *role,
                    party: *party,
                }],
            })
            .collect(),
    })
}

// ------------------------------------------------- the rule, with no store

/// The registry of [`ACTORS`], none revoked.
fn registry() -> Registry {
    let records = ACTORS
        .iter()
        .enumerate()
        .map(|(i, (id, role, party))| ActorRecord {
            id: actor(id),
            role: *role,
            party: Party::parse(party).expect("valid party"),
            public_key: public_key(&key(id)),
            name: None,
            registered_at: LeafIndex(i as u64 + 1),
            revoked_at: None,
            next_seq: 1,
        })
        .collect();
    Registry::from_records(ORIGIN, records)
}

/// The custody rule with XAA's two depots and XBB's air base declared, and three
/// items of XAA: w-1 at depot-a, w-2 at XBB's air base, w-3 retired at depot-a.
fn prepared_rule() -> CustodyRule {
    let at = t("2026-01-01T00:00:00Z");
    let setup = [
        register_site("depot-a", "XAA"),
        register_site("depot-a2", "XAA"),
        register_site("airbase-b", "XBB"),
        produce("w-1", "depot-a", "XAA", "XAA", ItemStatus::Stockpiled),
        produce("w-2", "airbase-b", "XAA", "XAA", ItemStatus::Stockpiled),
        produce("w-3", "depot-a", "XAA", "XAA", ItemStatus::Retired),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, p)| event(&format!("setup-{n}"), at, "xaa-officer-1", p, &[]))
    .collect();
    let mut rule = CustodyRule::new(Custody::new());
    rule.preload(LeafIndex(10), &submission("xaa-officer-1", 1, setup))
        .expect("the setup fits the record");
    rule
}

/// Checks one event by `by`, approved by `approvers`, on a copy of `rule` (a
/// rule that refused is discarded).
fn check(
    rule: &CustodyRule,
    by: &str,
    payload: Payload,
    approvers: &[&str],
) -> Result<(), RuleError> {
    let e = event("e-test", t("2026-02-01T00:00:00Z"), by, payload, approvers);
    rule.clone()
        .check(&registry(), LeafIndex(11), &submission(by, 1, vec![e]))
}

/// One attempt: the submitter, its approvers, and `None` (accepted) or a text
/// the refusal must contain.
type Attempt = (&'static str, &'static [&'static str], Option<&'static str>);

fn run_attempts(rule: &CustodyRule, what: &str, payload: &Payload, attempts: &[Attempt]) {
    for (by, approvers, refused) in attempts {
        let result = check(rule, by, payload.clone(), approvers);
        match (refused, result) {
            (None, Ok(())) => {}
            (Some(want), Err(e)) => {
                assert_eq!(
                    (e.event_index, e.field.as_str()),
                    (0, ".approvals"),
                    "{what} by {by} approved by {approvers:?}: {e}"
                );
                assert!(
                    e.message.contains(want),
                    "{what} by {by} approved by {approvers:?}: expected {want:?} in {e}"
                );
                assert!(
                    e.to_string()
                        .starts_with(&format!("field events[0].approvals: {what} needs ")),
                    "{e}"
                );
            }
            (want, got) => panic!(
                "{what} by {by} approved by {approvers:?}: expected {}, got {got:?}",
                want.map_or("acceptance".to_string(), |w| format!(
                    "a refusal with {w:?}"
                ))
            ),
        }
    }
}

#[test]
fn an_insider_alone_cannot_move_transfer_deploy_assign_or_dismantle() {
    let rule = prepared_rule();
    const ALONE: &[&str] = &[];
    let cases: Vec<(&str, Payload, Vec<Attempt>)> = vec![
        (
            "item.depart",
            depart("w-1", "depot-a", "depot-a2"),
            vec![
                (
                    "xaa-officer-1",
                    ALONE,
                    Some(
                        "item.depart needs 2 distinct signer(s) of role state_authority acting \
                         for the custodian state:XAA; found 1 (xaa-officer-1 state_authority \
                         state:XAA): add approvals by other actors",
                    ),
                ),
                ("xaa-officer-1", &["xaa-officer-2"], None),
            ],
        ),
        (
            "item.custody_transfer",
            custody_transfer("w-1", "XAA", "XBB"),
            vec![
                (
                    "xaa-officer-1",
                    ALONE,
                    Some("needs 1 distinct signer(s) of role state_authority acting for the `to` state:XBB; found 0"),
                ),
                (
                    "xbb-officer-1",
                    ALONE,
                    Some("needs 1 distinct signer(s) of role state_authority acting for the `from` state:XAA; found 0"),
                ),
                ("xaa-officer-1", &["xbb-officer-1"], None),
                ("xbb-officer-1", &["xaa-officer-1"], None),
            ],
        ),
        (
            "item.control_transfer",
            control_transfer("w-1", "XAA", "XBB"),
            vec![
                (
                    "xaa-officer-1",
                    ALONE,
                    Some("needs 1 distinct signer(s) of role state_authority acting for the `to` state:XBB; found 0"),
                ),
                (
                    "xbb-officer-1",
                    ALONE,
                    Some("needs 1 distinct signer(s) of role state_authority acting for the `from` state:XAA; found 0"),
                ),
                ("xaa-officer-1", &["xbb-officer-1"], None),
            ],
        ),
        (
            "item.deploy_abroad",
            deploy_abroad("w-2", "airbase-b", "XBB"),
            vec![
                (
                    "xaa-officer-1",
                    ALONE,
                    Some("needs 2 distinct signer(s) of role state_authority acting for the custodian state:XAA; found 1"),
                ),
                (
                    "xbb-officer-1",
                    ALONE,
                    Some("needs 2 distinct signer(s) of role state_authority acting for the custodian state:XAA; found 0"),
                ),
                (
                    "xaa-officer-1",
                    &["xaa-officer-2"],
                    Some("needs 1 distinct signer(s) of role state_authority acting for the host state:XBB; found 0"),
                ),
                ("xaa-officer-1", &["xaa-officer-2", "xbb-officer-1"], None),
            ],
        ),
        (
            "item.assign",
            assign("w-1", "XBB"),
            vec![
                (
                    "xaa-officer-1",
                    ALONE,
                    Some("needs 2 distinct signer(s) of role state_authority acting for the custodian state:XAA; found 1"),
                ),
                (
                    "xaa-officer-1",
                    &["xbb-officer-1"],
                    Some("needs 2 distinct signer(s) of role state_authority acting for the custodian state:XAA; found 1"),
                ),
                (
                    "xaa-officer-1",
                    &["xaa-officer-2"],
                    Some("needs 1 distinct signer(s) of role state_authority acting for the unit's state state:XBB; found 0"),
                ),
                ("xaa-officer-1", &["xbb-officer-1", "xaa-officer-2"], None),
            ],
        ),
        (
            "item.dismantle",
            dismantle("w-3", "depot-a"),
            vec![
                (
                    "xaa-officer-1",
                    ALONE,
                    Some("needs 2 distinct signer(s) of role state_authority acting for the custodian state:XAA; found 1"),
                ),
                ("xaa-officer-2", &["xaa-officer-1"], None),
            ],
        ),
    ];
    for (what, payload, attempts) in &cases {
        run_attempts(&rule, what, payload, attempts);
    }
    // What needs no second person under the default policy: an exercise.
    check(&rule, "xaa-officer-1", exercise("w-1", "depot-a"), ALONE).expect("no rule names it");
}

#[test]
fn approvers_of_the_wrong_party_or_role_do_not_count() {
    let rule = prepared_rule();
    let depart_attempts: Vec<Attempt> = vec![
        // Another state's officer co-signing XAA's relocation.
        (
            "xaa-officer-1",
            &["xbb-officer-1"],
            Some(
                "found 1 (xaa-officer-1 state_authority state:XAA, xbb-officer-1 state_authority state:XBB)",
            ),
        ),
        // An inspector co-signing.
        (
            "xaa-officer-1",
            &["inspector-1"],
            Some("found 1 (xaa-officer-1 state_authority state:XAA, inspector-1 inspector body:inspectorate)"),
        ),
        // The right party in the wrong role.
        (
            "xaa-officer-1",
            &["xaa-observer-1"],
            Some("found 1 (xaa-officer-1 state_authority state:XAA, xaa-observer-1 observer state:XAA)"),
        ),
        // Many approvers, one of whom counts.
        (
            "xaa-officer-1",
            &["xbb-officer-1", "inspector-1", "xaa-observer-1"],
            Some("acting for the custodian state:XAA; found 1"),
        ),
        // Submitted by the other state, approved by one officer of the custodian.
        ("xbb-officer-1", &["xaa-officer-1"], Some("acting for the custodian state:XAA; found 1")),
        // The control: two officers of the custodian.
        ("xaa-officer-2", &["xaa-officer-1", "inspector-1"], None),
    ];
    run_attempts(
        &rule,
        "item.depart",
        &depart("w-1", "depot-a", "depot-a2"),
        &depart_attempts,
    );

    let transfer_attempts: Vec<Attempt> = vec![
        // A second officer of the giving state is not the receiving state.
        (
            "xaa-officer-1",
            &["xaa-officer-2"],
            Some("acting for the `to` state:XBB; found 0"),
        ),
        (
            "xaa-officer-1",
            &["inspector-1"],
            Some("acting for the `to` state:XBB; found 0"),
        ),
        ("xaa-officer-1", &["xbb-officer-1"], None),
    ];
    run_attempts(
        &rule,
        "item.custody_transfer",
        &custody_transfer("w-1", "XAA", "XBB"),
        &transfer_attempts,
    );

    let deploy_attempts: Vec<Attempt> = vec![
        // The inspector is not the host.
        (
            "xaa-officer-1",
            &["xaa-officer-2", "inspector-1"],
            Some("acting for the host state:XBB; found 0"),
        ),
        ("xaa-officer-1", &["xaa-officer-2", "xbb-officer-1"], None),
    ];
    run_attempts(
        &rule,
        "item.deploy_abroad",
        &deploy_abroad("w-2", "airbase-b", "XBB"),
        &deploy_attempts,
    );
}

// ------------------------------------------------------- through a real log

/// A fresh, empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "custodian-custody-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A log on a fresh SQLite store: the administrator, [`ACTORS`], XAA's depots
/// `depot-a` and `depot-a2`, XBB's `airbase-b`, and XAA's item w-1 at depot-a.
struct World {
    log: Log<SqliteStore>,
    log_key: SigningKey,
    /// Events made so far: each event's number, and its minute after the start.
    clock: i64,
    _dir: TempDir,
}

fn minute(n: i64) -> UtcTime {
    UtcTime::from_unix_seconds(1_767_600_000 + n * 60).expect("valid time")
}

impl World {
    fn create(tag: &str) -> World {
        let dir = TempDir::new(tag);
        let log_key = key(ORIGIN);
        let store = SqliteStore::create(
            &dir.0.join("log.db"),
            &Meta {
                origin: ORIGIN.into(),
                verifier_key: log_key.verifier().to_text(),
            },
        )
        .expect("create store");
        let mut log = Log::open(store).expect("open log");
        let genesis = genesis_submission(
            ORIGIN,
            actor("admin"),
            &key("admin"),
            Party::Body("secretariat".into()),
            None,
            minute(0),
        )
        .expect("sign genesis");
        log.append(&[genesis], &log_key).expect("append genesis");
        let mut w = World {
            log,
            log_key,
            clock: 0,
            _dir: dir,
        };
        let registrations = ACTORS
            .iter()
            .map(|(id, role, party)| {
                Payload::ActorRegister(ActorRegister {
                    actor: actor(id),
                    role: *role,
                    party: Party::parse(party).expect("valid party"),
                    public_key: public_key(&key(id)),
                    name: None,
                })
            })
            .collect();
        let s = w.sign("admin", registrations, &[]);
        w.append(&[s]).expect("register the actors");
        let setup = vec![
            register_site("depot-a", "XAA"),
            register_site("depot-a2", "XAA"),
            register_site("airbase-b", "XBB"),
            produce("w-1", "depot-a", "XAA", "XAA", ItemStatus::Stockpiled),
        ];
        let s = w.sign("xaa-officer-1", setup, &[]);
        w.append(&[s]).expect("declare the sites and the item");
        w
    }

    /// The next event by `by`, approved by `approvers`: id `e-<n>`, stated at
    /// minute n.
    fn event(&mut self, by: &str, payload: Payload, approvers: &[&str]) -> Event {
        self.clock += 1;
        event(
            &format!("e-{}", self.clock),
            minute(self.clock),
            by,
            payload,
            approvers,
        )
    }

    /// `events` as the next submission of `by` the log expects.
    fn submit(&self, by: &str, events: Vec<Event>) -> SignedSubmission {
        let seq = self
            .log
            .registry()
            .get(&actor(by))
            .map_or(1, |r| r.next_seq);
        submission(by, seq, events)
    }

    /// Each payload as an event by `by` approved by `approvers`, in one submission.
    fn sign(&mut self, by: &str, payloads: Vec<Payload>, approvers: &[&str]) -> SignedSubmission {
        let events = payloads
            .into_iter()
            .map(|p| self.event(by, p, approvers))
            .collect();
        self.submit(by, events)
    }

    /// The custody rule with every leaf of the log preloaded.
    fn rule(&self) -> CustodyRule {
        let store = self.log.store();
        let size = store.tree_size().expect("size").0;
        let mut rule = CustodyRule::new(Custody::new());
        for leaf in store.read_leaves(0, size).expect("read leaves") {
            let signed = SignedSubmission::from_leaf_bytes(&leaf.data).expect("stored leaf parses");
            rule.preload(LeafIndex(leaf.index), &signed)
                .expect("stored leaves fit the record");
        }
        rule
    }

    /// The record the log holds.
    fn custody(&self) -> Custody {
        self.rule().into_custody()
    }

    /// Appends under the registry's rules and the custody rule.
    fn append(&mut self, subs: &[SignedSubmission]) -> Result<AppendReceipt, AppendError> {
        let mut rule = self.rule();
        self.log.append_with(subs, &self.log_key, &mut rule)
    }

    /// Appends under the registry's rules only, as a faulty or malicious writer
    /// that skips the custody rule would.
    fn append_unchecked(&mut self, subs: &[SignedSubmission]) {
        self.log
            .append(subs, &self.log_key)
            .expect("the registry alone accepts it");
    }

    fn size(&self) -> u64 {
        self.log.size().expect("size").0
    }

    /// The full audit with a fresh custody rule.
    fn audit(&self) -> Result<AuditReport, AuditFailure> {
        audit_with(
            self.log.store(),
            None,
            &mut CustodyRule::new(Custody::new()),
            |_, _| {},
        )
    }
}

fn refused(result: Result<AppendReceipt, AppendError>) -> (usize, RuleError) {
    match result {
        Err(AppendError::Refused { index, reason }) => (index, reason),
        other => panic!("expected a refusal by the custody rule, got {other:?}"),
    }
}

fn rejected(result: Result<AppendReceipt, AppendError>) -> (usize, RegistryError) {
    match result {
        Err(AppendError::Rejected { index, reason }) => (index, reason),
        other => panic!("expected a rejection by the registry, got {other:?}"),
    }
}

#[test]
fn through_the_log_nothing_of_a_refused_group_is_applied() {
    let mut w = World::create("group");
    let size = w.size();
    let before = format!("{:?}", w.custody());
    let declare = w.sign("xaa-officer-2", vec![register_site("depot-a3", "XAA")], &[]);
    let lone = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &[],
    );
    let result = w.append(&[declare.clone(), lone]);
    let err = match &result {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
    };
    let (index, reason) = refused(result);
    assert_eq!(
        (index, reason.event_index, reason.field.as_str()),
        (1, 0, ".approvals")
    );
    assert!(
        err.starts_with(
            "submission 1: field events[0].approvals: item.depart needs 2 distinct signer(s) of \
             role state_authority acting for the custodian state:XAA; found 1"
        ),
        "{err}"
    );
    assert_eq!(w.size(), size, "no leaf added");
    let declared = &declare.submission.events[0].id;
    assert!(w.log.store().event_location(declared).unwrap().is_none());
    assert_eq!(format!("{:?}", w.custody()), before, "record unchanged");
    // The good submission alone goes in: nothing of the group was applied, not
    // even its submitter's sequence number.
    w.append(&[declare]).expect("the declaration alone fits");
    assert_eq!(w.size(), size + 1);
    assert!(w.custody().site(&site("depot-a3")).is_some());
}

#[test]
fn through_the_log_bad_approvals_are_refused_and_good_ones_accepted() {
    let mut w = World::create("approvals");
    let size = w.size();

    // Too few: the submitter alone.
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &[],
    );
    let (_, reason) = refused(w.append(&[s]));
    assert!(
        reason.message.contains("needs 2 distinct signer(s)"),
        "{reason}"
    );

    // An officer approving its own event.
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &["xaa-officer-1"],
    );
    let (_, reason) = rejected(w.append(&[s]));
    assert!(
        reason.to_string().contains("field events[0].approvals[0]: the submitter \"xaa-officer-1\" cannot approve its own event"),
        "{reason}"
    );

    // The same approver twice.
    let mut e = w.event(
        "xaa-officer-1",
        depart("w-1", "depot-a", "depot-a2"),
        &["xaa-officer-2"],
    );
    e.approvals.push(e.approvals[0].clone());
    let s = w.submit("xaa-officer-1", vec![e]);
    let (_, reason) = rejected(w.append(&[s]));
    assert!(
        matches!(&reason, RegistryError::BadApproval { event_index: 0, approval_index: 1, reason }
            if reason.contains("duplicate approver \"xaa-officer-2\"")),
        "{reason}"
    );

    // An approval of event A attached to event B (same id and time, another
    // destination).
    let a = w.event(
        "xaa-officer-1",
        depart("w-1", "depot-a", "depot-a2"),
        &["xaa-officer-2"],
    );
    let mut b = a.clone();
    b.payload = depart("w-1", "depot-a", "airbase-b");
    let s = w.submit("xaa-officer-1", vec![b]);
    let (_, reason) = rejected(w.append(&[s]));
    assert!(
        reason.to_string().contains(
            "field events[0].approvals[0]: approval by \"xaa-officer-2\" does not verify over this event's bytes"
        ),
        "{reason}"
    );

    // An approval in xaa-officer-2's name made with another key.
    let mut e = w.event("xaa-officer-1", depart("w-1", "depot-a", "depot-a2"), &[]);
    e.approvals
        .push(approve(&e, actor("xaa-officer-2"), &key("xaa-officer-3")).expect("approve"));
    let s = w.submit("xaa-officer-1", vec![e]);
    let (_, reason) = rejected(w.append(&[s]));
    assert!(reason.to_string().contains("does not verify"), "{reason}");

    assert_eq!(w.size(), size, "no refusal added a leaf");
    w.audit().expect("the log holds only good leaves");

    // The right approval goes in.
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &["xaa-officer-2"],
    );
    w.append(&[s]).expect("two officers of the custodian");
    let s = w.sign("xaa-officer-1", vec![arrive("w-1", "depot-a2")], &[]);
    w.append(&[s]).expect("one officer receives it");

    // An approval by a revoked actor.
    let revoke = Payload::ActorRevoke(ActorRevoke {
        actor: actor("xaa-officer-2"),
        reason: "key lost".into(),
        compromised_since: None,
    });
    let revoked_at = w.size();
    let s = w.sign("admin", vec![revoke], &[]);
    w.append(&[s]).expect("the administrator revokes");
    let size = w.size();
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a2", "depot-a")],
        &["xaa-officer-2"],
    );
    let (_, reason) = rejected(w.append(&[s]));
    assert!(
        reason.to_string().contains(&format!(
            "field events[0].approvals[0]: approver \"xaa-officer-2\" was revoked at leaf {revoked_at}"
        )),
        "{reason}"
    );
    assert_eq!(w.size(), size);
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a2", "depot-a")],
        &["xaa-officer-3"],
    );
    w.append(&[s]).expect("another officer of the custodian");
    w.audit().expect("the good log passes the audit");
}

#[test]
fn the_audit_names_a_leaf_that_breaks_the_policy() {
    let mut w = World::create("audit");
    w.audit().expect("the good log passes");
    let lone = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &[],
    );
    refused(w.append(std::slice::from_ref(&lone)));
    // A writer that skips the custody rule lets it in.
    let leaf = w.size();
    w.append_unchecked(&[lone]);
    audit(w.log.store(), None, |_, _| {}).expect("the registry alone sees nothing wrong");
    let failure = w.audit().expect_err("the custody rule does");
    assert_eq!(failure.check, Check::Rule);
    assert_eq!(failure.entry, format!("leaf {leaf}"));
    assert!(
        failure.detail.starts_with(
            "field events[0].approvals: item.depart needs 2 distinct signer(s) of role \
             state_authority acting for the custodian state:XAA; found 1"
        ),
        "{failure}"
    );
    assert!(
        failure
            .to_string()
            .starts_with(&format!("leaf {leaf}: rule check failed: ")),
        "{failure}"
    );
}

#[test]
fn policy_set_by_the_administrator_replaces_the_policy() {
    let mut w = World::create("policy-set");
    // Under the default, two officers of the custodian move it.
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &["xaa-officer-2"],
    );
    w.append(&[s]).expect("two suffice under the default");
    let s = w.sign("xaa-officer-1", vec![arrive("w-1", "depot-a2")], &[]);
    w.append(&[s]).expect("arrival");

    let three = policy(&[(
        "item.depart",
        3,
        Role::StateAuthority,
        PartySelector::Custodian,
    )]);
    // Only an administrator sets the policy.
    let s = w.sign("xaa-officer-1", vec![three.clone()], &[]);
    let (_, reason) = rejected(w.append(&[s]));
    assert!(
        matches!(
            reason,
            RegistryError::RoleForbids {
                kind: EventKind::PolicySet,
                ..
            }
        ),
        "{reason}"
    );
    let set_at = w.size();
    let s = w.sign("admin", vec![three], &[]);
    w.append(&[s]).expect("the administrator sets the policy");
    let custody = w.custody();
    let (policy, by) = custody.policy();
    assert_eq!(by.map(|r| r.leaf), Some(LeafIndex(set_at)));
    assert_eq!(
        policy.requirements(EventKind::ItemDepart),
        &[Requirement {
            count: 3,
            role: Role::StateAuthority,
            party: PartySelector::Custodian
        }]
    );
    assert!(
        policy.requirements(EventKind::ItemDismantle).is_empty(),
        "kinds the new policy does not name need only their submitter"
    );

    let size = w.size();
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a2", "depot-a")],
        &["xaa-officer-2"],
    );
    let (_, reason) = refused(w.append(&[s]));
    assert!(
        reason.message.starts_with(
            "item.depart needs 3 distinct signer(s) of role state_authority acting for the \
             custodian state:XAA; found 2"
        ),
        "{reason}"
    );
    assert_eq!(w.size(), size);
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a2", "depot-a")],
        &["xaa-officer-2", "xaa-officer-3"],
    );
    w.append(&[s]).expect("three suffice");
    let s = w.sign("xaa-officer-1", vec![arrive("w-1", "depot-a")], &[]);
    w.append(&[s]).expect("arrival");
    // The two-signer departure before the change and the three-signer one after
    // both pass: each leaf is checked under the policy then in force.
    w.audit().expect("the log passes under its policies");

    // A two-signer departure after the change, let in without the rule, fails.
    let s = w.sign(
        "xaa-officer-1",
        vec![depart("w-1", "depot-a", "depot-a2")],
        &["xaa-officer-2"],
    );
    let leaf = w.size();
    w.append_unchecked(&[s]);
    let failure = w
        .audit()
        .expect_err("the audit applies the policy in force");
    assert_eq!(
        (failure.check, failure.entry.as_str()),
        (Check::Rule, format!("leaf {leaf}").as_str())
    );
    assert!(
        failure
            .detail
            .contains("item.depart needs 3 distinct signer(s)"),
        "{failure}"
    );
    assert!(failure.detail.contains("found 2"), "{failure}");
}

#[test]
fn a_lone_administrator_cannot_loosen_a_policy_that_requires_two() {
    let mut w = World::create("policy-guarded");
    let guarded = policy(&[
        ("policy.set", 2, Role::Administrator, PartySelector::Any),
        (
            "item.depart",
            2,
            Role::StateAuthority,
            PartySelector::Custodian,
        ),
    ]);
    let s = w.sign("admin", vec![guarded], &["admin-2"]);
    w.append(&[s])
        .expect("two administrators set a guarded policy");
    // The policy in force needs two administrators for a policy change.
    let loose = policy(&[(
        "item.depart",
        1,
        Role::StateAuthority,
        PartySelector::Custodian,
    )]);
    let size = w.size();
    let s = w.sign("admin", vec![loose], &[]);
    let (_, reason) = refused(w.append(&[s]));
    assert!(
        reason.message.starts_with(
            "policy.set needs 2 distinct signer(s) of role administrator acting for any party; found 1"
        ),
        "{reason}"
    );
    assert_eq!(w.size(), size);
}

#[test]
fn a_policy_set_needs_only_what_the_policy_in_force_requires() {
    let mut w = World::create("policy-first");
    // The default names no rule for policy.set: the administrator alone may
    // introduce one.
    let guarded = policy(&[("policy.set", 2, Role::Administrator, PartySelector::Any)]);
    let s = w.sign("admin", vec![guarded], &[]);
    w.append(&[s])
        .expect("the default policy asks only for the submitter of a policy.set");
    // From then on a lone administrator is refused.
    let s = w.sign("admin", vec![policy(&[])], &[]);
    refused(w.append(&[s]));
}

// ---------------------------------------------------------------- bad input

/// Events declaring XAA's depots and XBB's air base, and w-1 at depot-a, in
/// 1990.
fn early_record() -> Vec<Event> {
    let at = t("1990-01-01T00:00:00Z");
    [
        register_site("depot-a", "XAA"),
        register_site("depot-a2", "XAA"),
        register_site("airbase-b", "XBB"),
        produce("w-1", "depot-a", "XAA", "XAA", ItemStatus::Stockpiled),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, p)| event(&format!("setup-{n}"), at, "xaa-officer-1", p, &[]))
    .collect()
}

fn replay(custody: Custody, events: &[Event]) -> Custody {
    custody
        .replay(
            events
                .iter()
                .enumerate()
                .map(|(i, e)| (LeafIndex(i as u64), e)),
            None,
        )
        .expect("the setup fits the record")
}

/// Refuses `payload` stated at `time`, both alone (naming the event and
/// `field`, leaving the record as it was) and as the second event of a
/// submission through the rule (naming `events[1]` and the field).
fn assert_refused(custody: &Custody, time: &str, payload: Payload, field: &str, want: &str) {
    let bad = event(
        "e-bad",
        t(time),
        "xaa-officer-1",
        payload,
        &["xaa-officer-2", "xbb-officer-1"],
    );
    let mut c = custody.clone();
    let before = format!("{c:?}");
    let err = c.apply(LeafIndex(50), &bad).expect_err(want);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("event e-bad: field {field}: ")),
        "expected the event and {field} in {text}"
    );
    assert!(text.contains(want), "expected {want:?} in {text}");
    assert_eq!(err.field_and_detail().0, field);
    assert_eq!(format!("{c:?}"), before, "{text}: the record changed");

    let fine = event(
        "e-fine",
        t(time),
        "xaa-officer-1",
        register_site("depot-z", "XAA"),
        &[],
    );
    let mut rule = CustodyRule::new(custody.clone());
    let err = rule
        .check(
            &registry(),
            LeafIndex(50),
            &submission("xaa-officer-1", 1, vec![fine, bad]),
        )
        .expect_err(want);
    assert_eq!(
        (err.event_index, err.field.as_str()),
        (1, format!(".{field}").as_str())
    );
    assert!(
        err.to_string()
            .starts_with(&format!("field events[1].{field}: ")),
        "{err}"
    );
    assert!(err.message.contains(want), "expected {want:?} in {err}");
}

#[test]
fn events_about_unknown_items_or_sites_are_refused_and_change_nothing() {
    let c = replay(Custody::new(), &early_record());
    let now = "2026-02-01T00:00:00Z";
    let cases = [
        (depart("w-9", "depot-a", "depot-a2"), "payload.item", "unknown item w-9"),
        (depart("w-1", "depot-a", "nowhere"), "payload.to", "unknown site nowhere"),
        (depart("w-1", "nowhere", "depot-a2"), "payload.from", "unknown site nowhere"),
        (arrive("w-1", "nowhere"), "payload.site", "unknown site nowhere"),
        (exercise("w-1", "nowhere"), "payload.site", "unknown site nowhere"),
        (dismantle("w-9", "depot-a"), "payload.item", "unknown item w-9"),
        (
            produce("w-2", "nowhere", "XAA", "XAA", ItemStatus::Stockpiled),
            "payload.site",
            "unknown site nowhere",
        ),
        (
            produce("w-1", "depot-a", "XAA", "XAA", ItemStatus::Stockpiled),
            "payload.item",
            "w-1 already exists",
        ),
        (
            arrive("w-1", "depot-a2"),
            "payload.site",
            "expected a departure before an arrival, found an arrival while at depot-a since 1990-01-01T00:00:00Z",
        ),
        (
            custody_transfer("w-1", "XBB", "XAA"),
            "payload.from",
            "expected the custodian XAA, found XBB",
        ),
    ];
    for (payload, field, want) in cases {
        assert_refused(&c, now, payload, field, want);
    }
    // The controls.
    let mut ok = c.clone();
    ok.apply(
        LeafIndex(50),
        &event(
            "e-ok",
            t(now),
            "xaa-officer-1",
            depart("w-1", "depot-a", "depot-a2"),
            &[],
        ),
    )
    .expect("a departure between known sites");
    ok.apply(
        LeafIndex(51),
        &event(
            "e-ok2",
            t(now),
            "xaa-officer-1",
            arrive("w-1", "depot-a2"),
            &[],
        ),
    )
    .expect("an arrival after a departure");
}

#[test]
fn a_state_that_no_longer_exists_is_refused() {
    let ceased = vec![Ceased {
        state: st("SUN"),
        on: Date::parse("1991-12-24").expect("date"),
        continued_by: st("RUS"),
    }];
    let c = replay(Custody::new().with_ceased(ceased), &early_record());
    let gone = "state SUN ceased to exist on 1991-12-24 (continued by RUS); expected a state that exists on";
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        control_transfer("w-1", "XAA", "SUN"),
        "payload.to",
        gone,
    );
    assert_refused(
        &c,
        "1991-12-24T00:00:00Z",
        control_transfer("w-1", "XAA", "SUN"),
        "payload.to",
        gone,
    );
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        custody_transfer("w-1", "XAA", "SUN"),
        "payload.to",
        gone,
    );
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        assign("w-1", "SUN"),
        "payload.unit_state",
        gone,
    );
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        register_site("moscow-1", "SUN"),
        "payload.state",
        gone,
    );
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        produce("w-2", "depot-a", "XAA", "SUN", ItemStatus::Stockpiled),
        "payload.controller",
        gone,
    );
    // The day before, it existed.
    let mut ok = c.clone();
    ok.apply(
        LeafIndex(50),
        &event(
            "e-ok",
            t("1991-12-23T23:59:59Z"),
            "xaa-officer-1",
            control_transfer("w-1", "XAA", "SUN"),
            &[],
        ),
    )
    .expect("SUN existed until 1991-12-23");
    assert_eq!(ok.item(&item("w-1")).unwrap().controller, st("SUN"));
}

#[test]
fn with_a_states_table_an_unknown_state_is_refused() {
    let rows: Vec<Event> = ["XAA", "XBB"]
        .into_iter()
        .enumerate()
        .map(|(n, code)| {
            event(
                &format!("row-{n}"),
                t("1989-01-01T00:00:00Z"),
                "secretariat-1",
                states_row(code),
                &[],
            )
        })
        .collect();
    let c = replay(Custody::new(), &[rows, early_record()].concat());
    let unknown = "unknown state XZZ: expected a state of the log's registry (table states)";
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        control_transfer("w-1", "XAA", "XZZ"),
        "payload.to",
        unknown,
    );
    assert_refused(
        &c,
        "2026-02-01T00:00:00Z",
        register_site("zz-1", "XZZ"),
        "payload.state",
        unknown,
    );
    let mut ok = c.clone();
    ok.apply(
        LeafIndex(50),
        &event(
            "e-ok",
            t("2026-02-01T00:00:00Z"),
            "xaa-officer-1",
            control_transfer("w-1", "XAA", "XBB"),
            &[],
        ),
    )
    .expect("XBB is in the table");
    // Without the table, states are not checked.
    let mut no_table = replay(Custody::new(), &early_record());
    no_table
        .apply(
            LeafIndex(50),
            &event(
                "e-ok",
                t("2026-02-01T00:00:00Z"),
                "xaa-officer-1",
                control_transfer("w-1", "XAA", "XZZ"),
                &[],
            ),
        )
        .expect("no states table: no check");
}

#[test]
fn through_the_log_bad_input_is_refused_naming_the_event_and_field() {
    let mut w = World::create("bad-input");
    let rows = vec![states_row("XAA"), states_row("XBB")];
    let s = w.sign("secretariat-1", rows, &[]);
    w.append(&[s]).expect("the secretariat's states table");
    let size = w.size();
    let before = format!("{:?}", w.custody());
    let cases = [
        (
            control_transfer("w-1", "XAA", "XZZ"),
            ".payload.to",
            "unknown state XZZ",
        ),
        (
            depart("w-9", "depot-a", "depot-a2"),
            ".payload.item",
            "unknown item w-9",
        ),
        (
            depart("w-1", "depot-a", "nowhere"),
            ".payload.to",
            "unknown site nowhere",
        ),
        (
            arrive("w-1", "depot-a2"),
            ".payload.site",
            "expected a departure before an arrival",
        ),
    ];
    for (payload, field, want) in cases {
        let s = w.sign(
            "xaa-officer-1",
            vec![payload],
            &["xaa-officer-2", "xbb-officer-1"],
        );
        let id = s.submission.events[0].id.clone();
        let (index, reason) = refused(w.append(&[s]));
        assert_eq!(
            (index, reason.event_index, reason.field.as_str()),
            (0, 0, field),
            "{reason}"
        );
        assert!(
            reason.message.contains(want),
            "expected {want:?} in {reason}"
        );
        assert!(w.log.store().event_location(&id).unwrap().is_none());
    }
    assert_eq!(w.size(), size);
    assert_eq!(format!("{:?}", w.custody()), before);
    let s = w.sign(
        "xaa-officer-1",
        vec![control_transfer("w-1", "XAA", "XBB")],
        &["xbb-officer-1"],
    );
    w.append(&[s]).expect("XBB is in the table");
    assert_eq!(
        w.custody().item(&item("w-1")).unwrap().controller,
        st("XBB")
    );
    w.audit().expect("the log passes");
}

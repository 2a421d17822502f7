//! The escrow on the ledger: commitments, reveals, challenges, total proofs
//! and inspectors' observations replayed from the log's events, every reveal
//! verified against its commitment, and the findings they give (issue 7,
//! points 1, 2, 3, 5).
//!
//! What is refused (an error, nothing applied) and what is a finding:
//! - refused: a malformed commitment or annex, an annex that does not add up
//!   to its total, a declaration id used twice, a reveal or total proof that
//!   does not parse, a reveal for an unknown declaration, a challenge whose
//!   seed checkpoint is of another log or does not postdate the commitment,
//!   a sample or response that answers no challenge of its declaration, and
//!   any of these submitted by an actor not acting for the declaring state;
//! - findings: a well-formed reveal or total proof that fails verification
//!   (`reveal_invalid`, `total_invalid`); an observed site, item or stock that
//!   existed by the declaration's date and that a verified complete range or
//!   gap proof shows absent (`undeclared`); one that no reveal decides yet
//!   (`unresolved`, open until a range is revealed or a key challenge
//!   answered); a challenge not yet answered (`challenge_open`); opened keys
//!   that contradict the sorted order the commitment relies on
//!   (`order_violation`).
//!
//! Every finding cites its events by leaf, id and stated time, as the
//! evidence bundles of `custodian comply` do, so that an offline verifier can
//! prove each one included under a signed checkpoint and re-run this engine
//! on the cited leaves alone.

use crate::absence::{
    assess, Assessment, Evidence, KeyResponse, KeyStatus, OrderWitness, VerifiedGap,
};
use crate::commitment::Commitment;
use crate::declaration::SortKey;
use crate::pedersen::{Annex, TotalLimitProof, VerifiedAnnex};
use crate::reveal::{EntryReveal, RangeReveal, SampleReveal, VerifiedEntry, VerifiedRange};
use custodian_core::event::{
    EscrowChallenge, EscrowCommit, EscrowReveal, EscrowTotal, InspectionObserve,
};
use custodian_core::{
    Date, DeclarationId, Event, EventId, LeafIndex, Party, Payload, StateCode, UtcTime,
};
use custodian_ledger::checkpoint::Checkpoint;
use custodian_ledger::note::Note;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An event, by the leaf that holds it, its id and its stated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRef {
    /// The leaf.
    pub leaf: LeafIndex,
    /// The event's id.
    pub event: EventId,
    /// Its stated time.
    pub time: UtcTime,
}

impl EventRef {
    fn of(leaf: LeafIndex, event: &Event) -> EventRef {
        EventRef {
            leaf,
            event: event.id.clone(),
            time: event.time,
        }
    }
}

/// Why an escrow event is refused: the payload field and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {message}")]
pub struct EscrowRuleError {
    /// The field, e.g. `payload.reveal`.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

fn refuse(field: &str, message: impl Into<String>) -> EscrowRuleError {
    EscrowRuleError {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    field: &str,
    map: &Map<String, Value>,
) -> Result<T, EscrowRuleError> {
    serde_path_to_error::deserialize(Value::Object(map.clone()))
        .map_err(|e| refuse(&format!("{field}.{}", e.path()), e.inner().to_string()))
}

/// A reveal or total proof as recorded, with its verification.
#[derive(Clone, Debug, Serialize)]
pub struct Opened {
    /// The event.
    pub by: EventRef,
    /// `entries`, `range`, `sample`, `response` or `total`.
    pub mode: String,
    /// What it showed, when it verified; why not, when it did not.
    pub outcome: Result<String, String>,
}

/// A challenge and its answer, if any.
#[derive(Clone, Debug, Serialize)]
pub struct Challenge {
    /// The event.
    pub by: EventRef,
    /// The declaration.
    pub declaration: DeclarationId,
    /// `sample` or `key`.
    pub request: String,
    /// The sample's size.
    pub n: Option<u64>,
    /// The sample's seed (the checkpoint's root) and its tree size.
    pub seed: Option<([u8; 32], u64)>,
    /// The key asked about.
    pub key: Option<SortKey>,
    /// The first verified answer.
    pub answered_by: Option<EventRef>,
}

/// A committed declaration and what has been verified of it.
#[derive(Clone, Debug)]
pub struct Declared {
    /// The `escrow.commit` event.
    pub by: EventRef,
    /// The declaring state.
    pub state: StateCode,
    /// The date it is complete as of.
    pub as_of: Date,
    /// What it claims to hold.
    pub scope: String,
    /// The commitment.
    pub commitment: Commitment,
    /// The verified annexes.
    pub annexes: Vec<VerifiedAnnex>,
    /// Every reveal and total proof, verified or not.
    pub opened: Vec<Opened>,
    /// Verified complete ranges, with the event that revealed each.
    pub ranges: Vec<(VerifiedRange, EventRef)>,
    /// Verified single entries (entries, samples, present answers).
    pub entries: Vec<(VerifiedEntry, EventRef)>,
    /// Verified gaps (absent answers).
    pub gaps: Vec<(VerifiedGap, EventRef)>,
    /// Totals proven within a limit: (measure, limit, event).
    pub totals: Vec<(String, u64, EventRef)>,
    /// The keys opened so far, by leaf, to check they increase with it.
    order: OrderWitness,
    /// Reveals whose keys contradict the committed order: (event, why).
    pub disorder: Vec<(EventRef, String)>,
}

impl Declared {
    /// Distinct leaves opened in full so far.
    pub fn revealed_leaves(&self) -> usize {
        let mut leaves: Vec<u64> = self
            .ranges
            .iter()
            .flat_map(|(r, _)| r.entries.iter().map(|e| e.index))
            .chain(self.entries.iter().map(|(e, _)| e.index))
            .collect();
        leaves.sort_unstable();
        leaves.dedup();
        leaves.len()
    }
}

/// An inspector's observation.
#[derive(Clone, Debug, Serialize)]
pub struct Observed {
    /// The event.
    pub by: EventRef,
    /// What was observed.
    pub observation: InspectionObserve,
}

/// What kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A reveal does not verify against its commitment.
    RevealInvalid,
    /// A total proof does not verify.
    TotalInvalid,
    /// Something that existed by the declaration's date is proven absent from it.
    Undeclared,
    /// Something observed is neither shown declared nor proven absent yet.
    Unresolved,
    /// A challenge awaits its answer.
    ChallengeOpen,
    /// Opened keys contradict the sorted order the commitment claims.
    OrderViolation,
}

/// A finding, with the events that establish it.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Its kind.
    pub kind: FindingKind,
    /// The declaration.
    pub declaration: DeclarationId,
    /// The declaring state.
    pub state: StateCode,
    /// `closed` (established) or `open` (awaits a reveal or an answer).
    pub status: &'static str,
    /// What it says, in a sentence.
    pub message: String,
    /// The events it cites: the commitment first.
    pub events: Vec<EventRef>,
}

/// The escrow record of one log.
#[derive(Clone, Debug, Default)]
pub struct EscrowLedger {
    origin: String,
    declarations: BTreeMap<DeclarationId, Declared>,
    challenges: BTreeMap<EventId, Challenge>,
    observations: Vec<Observed>,
}

impl EscrowLedger {
    /// An empty record for the log named `origin` (sample seeds must be
    /// checkpoints of this log).
    pub fn new(origin: &str) -> EscrowLedger {
        EscrowLedger {
            origin: origin.to_owned(),
            ..EscrowLedger::default()
        }
    }

    /// Names the log (sample seeds must be its checkpoints), once.
    pub fn set_origin(&mut self, origin: &str) {
        if self.origin.is_empty() {
            self.origin = origin.to_owned();
        }
    }

    /// The declarations, by id.
    pub fn declarations(&self) -> impl Iterator<Item = (&DeclarationId, &Declared)> {
        self.declarations.iter()
    }

    /// One declaration.
    pub fn declaration(&self, id: &DeclarationId) -> Option<&Declared> {
        self.declarations.get(id)
    }

    /// The challenges, by event.
    pub fn challenges(&self) -> impl Iterator<Item = &Challenge> {
        self.challenges.values()
    }

    /// One challenge.
    pub fn challenge(&self, id: &EventId) -> Option<&Challenge> {
        self.challenges.get(id)
    }

    /// The observations, in log order.
    pub fn observations(&self) -> &[Observed] {
        &self.observations
    }

    /// Applies one event submitted by an actor acting for `party`. Events of
    /// other kinds are ignored. On error nothing changes.
    pub fn apply(
        &mut self,
        leaf: LeafIndex,
        event: &Event,
        party: &Party,
    ) -> Result<(), EscrowRuleError> {
        let here = EventRef::of(leaf, event);
        match &event.payload {
            Payload::EscrowCommit(p) => self.commit(here, p, party),
            Payload::EscrowReveal(p) => self.reveal(here, p, party),
            Payload::EscrowChallenge(p) => self.challenge_of(here, p),
            Payload::EscrowTotal(p) => self.total(here, p, party),
            Payload::InspectionObserve(p) => {
                self.observations.push(Observed {
                    by: here,
                    observation: p.clone(),
                });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn declared_for(
        &mut self,
        id: &DeclarationId,
        party: &Party,
    ) -> Result<&mut Declared, EscrowRuleError> {
        let d = self.declarations.get_mut(id).ok_or_else(|| {
            refuse(
                "payload.declaration",
                format!("a declaration committed earlier by escrow.commit, found {id}"),
            )
        })?;
        if *party != Party::State(d.state) {
            return Err(refuse(
                "payload.declaration",
                format!(
                    "a submitter acting for state:{}, the declaring state, found {party}",
                    d.state
                ),
            ));
        }
        Ok(d)
    }

    fn commit(
        &mut self,
        here: EventRef,
        p: &EscrowCommit,
        party: &Party,
    ) -> Result<(), EscrowRuleError> {
        if *party != Party::State(p.state) {
            return Err(refuse(
                "payload.state",
                format!(
                    "the state the submitter acts for ({party}), found {}",
                    p.state
                ),
            ));
        }
        if let Some(earlier) = self.declarations.get(&p.declaration) {
            return Err(refuse(
                "payload.declaration",
                format!(
                    "a declaration id not yet used; {} was committed by event {}",
                    p.declaration, earlier.by.event
                ),
            ));
        }
        let commitment: Commitment = parse("payload.commitment", &p.commitment)?;
        let mut annexes = Vec::new();
        for (i, a) in p.annexes.iter().enumerate() {
            let field = format!("payload.annexes[{i}]");
            let annex: Annex = parse(&field, a)?;
            let verified = commitment
                .verify_annex(annex)
                .map_err(|e| refuse(&field, e.to_string()))?;
            if annexes
                .iter()
                .any(|v: &VerifiedAnnex| v.annex().measure() == verified.annex().measure())
            {
                return Err(refuse(&field, "one annex per measure"));
            }
            annexes.push(verified);
        }
        for m in commitment.measure_names() {
            if !annexes.iter().any(|a| *a.annex().measure() == m) {
                return Err(refuse(
                    "payload.annexes",
                    format!("the annex of every committed measure, found none for {m}"),
                ));
            }
        }
        self.declarations.insert(
            p.declaration.clone(),
            Declared {
                by: here,
                state: p.state,
                as_of: p.as_of,
                scope: p.scope.clone(),
                commitment,
                annexes,
                opened: Vec::new(),
                ranges: Vec::new(),
                entries: Vec::new(),
                gaps: Vec::new(),
                totals: Vec::new(),
                order: OrderWitness::new(),
                disorder: Vec::new(),
            },
        );
        Ok(())
    }

    fn challenge_of(&mut self, here: EventRef, p: &EscrowChallenge) -> Result<(), EscrowRuleError> {
        let d = self.declarations.get(&p.declaration).ok_or_else(|| {
            refuse(
                "payload.declaration",
                format!("a declaration committed earlier, found {}", p.declaration),
            )
        })?;
        let mut seed = None;
        if let (Some(n), Some(note)) = (p.n, &p.seed_checkpoint) {
            let entries = d.commitment.entries();
            if n == 0 || n > entries {
                return Err(refuse(
                    "payload.n",
                    format!("a sample size from 1 to the {entries} entries, found {n}"),
                ));
            }
            let cp = seed_checkpoint(note).map_err(|m| refuse("payload.seed_checkpoint", m))?;
            if cp.origin() != self.origin {
                return Err(refuse(
                    "payload.seed_checkpoint",
                    format!(
                        "a checkpoint of this log ({}), found one of {}",
                        self.origin,
                        cp.origin()
                    ),
                ));
            }
            if cp.size().0 <= d.by.leaf.0 {
                return Err(refuse(
                    "payload.seed_checkpoint",
                    format!(
                        "a checkpoint after the commitment (tree size above its leaf {}), found size {}: a seed known before the commitment could be chosen",
                        d.by.leaf.0,
                        cp.size().0
                    ),
                ));
            }
            seed = Some((cp.root().0, cp.size().0));
        }
        let key = p
            .key
            .as_ref()
            .map(|k| parse::<SortKey>("payload.key", k))
            .transpose()?;
        self.challenges.insert(
            here.event.clone(),
            Challenge {
                by: here,
                declaration: p.declaration.clone(),
                request: p.request.clone(),
                n: p.n,
                seed,
                key,
                answered_by: None,
            },
        );
        Ok(())
    }

    fn reveal(
        &mut self,
        here: EventRef,
        p: &EscrowReveal,
        party: &Party,
    ) -> Result<(), EscrowRuleError> {
        let challenge = match &p.answers {
            Some(id) => {
                let c = self.challenges.get(id).ok_or_else(|| {
                    refuse(
                        "payload.answers",
                        format!("an escrow.challenge event, found {id}"),
                    )
                })?;
                let wanted = if p.mode == "sample" { "sample" } else { "key" };
                if c.declaration != p.declaration || c.request != wanted {
                    return Err(refuse(
                        "payload.answers",
                        format!(
                            "a {wanted} challenge of declaration {}, found a {} challenge of {}",
                            p.declaration, c.request, c.declaration
                        ),
                    ));
                }
                Some(c.clone())
            }
            None => None,
        };
        let d = self.declared_for(&p.declaration, party)?;
        let c = &d.commitment;
        let annexes = &d.annexes;
        let outcome: Result<String, String>;
        match p.mode.as_str() {
            "entries" => {
                let reveals: Vec<EntryReveal> = parse_list("payload.reveal", &p.reveal)?;
                let mut verified = Vec::new();
                let mut failed = None;
                for r in &reveals {
                    match c.verify_entry(r, annexes) {
                        Ok(v) => verified.push(v),
                        Err(e) => {
                            failed = Some(format!("entry at leaf {}: {e}", r.index));
                            break;
                        }
                    }
                }
                outcome = match failed {
                    Some(m) => Err(m),
                    None => {
                        let n = verified.len();
                        if let Err(e) = verified
                            .iter()
                            .try_for_each(|v| d.order.record_verified_entry(v))
                        {
                            d.disorder.push((here.clone(), e.to_string()));
                        }
                        d.entries
                            .extend(verified.into_iter().map(|v| (v, here.clone())));
                        Ok(format!(
                            "{n} entr{} opened",
                            if n == 1 { "y" } else { "ies" }
                        ))
                    }
                };
            }
            "range" => {
                let r: RangeReveal = parse("payload.reveal", &p.reveal)?;
                outcome = match c.verify_range(&r, annexes) {
                    Ok(v) => {
                        if let Err(e) = d.order.record_range(&v) {
                            d.disorder.push((here.clone(), e.to_string()));
                        }
                        let text = format!(
                            "range {} complete: {} entries, leaves [{}, {})",
                            v.selector,
                            v.entries.len(),
                            v.start,
                            v.end
                        );
                        d.ranges.push((v, here.clone()));
                        Ok(text)
                    }
                    Err(e) => Err(e.to_string()),
                };
            }
            "sample" => {
                let r: SampleReveal = parse("payload.reveal", &p.reveal)?;
                let ch = challenge
                    .as_ref()
                    .ok_or_else(|| refuse("payload.answers", "a sample challenge"))?;
                let (seed, _) = ch.seed.unwrap_or(([0; 32], 0));
                let n = ch.n.unwrap_or(0);
                outcome = match c.verify_sample(&r, &seed, n, annexes) {
                    Ok(v) => {
                        if let Err(e) = d.order.record_sample(&v) {
                            d.disorder.push((here.clone(), e.to_string()));
                        }
                        let k = v.entries.len();
                        d.entries
                            .extend(v.entries.into_iter().map(|e| (e, here.clone())));
                        Ok(format!("the sample of {k} drawn from the seed, opened"))
                    }
                    Err(e) => Err(e.to_string()),
                };
            }
            _ => {
                // "response" to a key challenge.
                let r: KeyResponse = parse("payload.reveal", &p.reveal)?;
                let ch = challenge
                    .as_ref()
                    .ok_or_else(|| refuse("payload.answers", "a key challenge"))?;
                let key = ch
                    .key
                    .clone()
                    .ok_or_else(|| refuse("payload.answers", "a key challenge"))?;
                outcome = match c.verify_key_response(&key, &r, annexes) {
                    Ok(KeyStatus::Declared(v)) => {
                        if let Err(e) = d.order.record_verified_entry(&v) {
                            d.disorder.push((here.clone(), e.to_string()));
                        }
                        d.entries.push((v, here.clone()));
                        Ok(format!("key {key} declared"))
                    }
                    Ok(KeyStatus::Absent(g)) => {
                        if let Err(e) = d.order.record_gap(&g) {
                            d.disorder.push((here.clone(), e.to_string()));
                        }
                        d.gaps.push((g, here.clone()));
                        Ok(format!("key {key} proven absent"))
                    }
                    Err(e) => Err(e.to_string()),
                };
            }
        }
        let ok = outcome.is_ok();
        d.opened.push(Opened {
            by: here.clone(),
            mode: p.mode.clone(),
            outcome,
        });
        if let (true, Some(id)) = (ok, &p.answers) {
            if let Some(c) = self.challenges.get_mut(id) {
                c.answered_by.get_or_insert(here);
            }
        }
        Ok(())
    }

    fn total(
        &mut self,
        here: EventRef,
        p: &EscrowTotal,
        party: &Party,
    ) -> Result<(), EscrowRuleError> {
        let proof: TotalLimitProof = parse("payload.proof", &p.proof)?;
        let d = self.declared_for(&p.declaration, party)?;
        let outcome = match d.commitment.verify_total_within(&proof) {
            Ok(()) => {
                d.totals
                    .push((proof.measure.to_string(), proof.limit, here.clone()));
                Ok(format!(
                    "total {} within 0..={}",
                    proof.measure, proof.limit
                ))
            }
            Err(e) => Err(e.to_string()),
        };
        d.opened.push(Opened {
            by: here,
            mode: "total".into(),
            outcome,
        });
        Ok(())
    }

    /// The findings of the record as it stands.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for (id, d) in &self.declarations {
            for o in &d.opened {
                if let Err(why) = &o.outcome {
                    out.push(Finding {
                        kind: if o.mode == "total" {
                            FindingKind::TotalInvalid
                        } else {
                            FindingKind::RevealInvalid
                        },
                        declaration: id.clone(),
                        state: d.state,
                        status: "closed",
                        message: format!(
                            "the {} published by event {} does not verify against the commitment: {why}",
                            if o.mode == "total" { "total proof" } else { "reveal" },
                            o.by.event
                        ),
                        events: vec![d.by.clone(), o.by.clone()],
                    });
                }
            }
            for (by, why) in &d.disorder {
                out.push(Finding {
                    kind: FindingKind::OrderViolation,
                    declaration: id.clone(),
                    state: d.state,
                    status: "closed",
                    message: format!(
                        "the reveal by event {} opens keys out of the committed order ({why}): the declaration's leaves are not sorted, so its complete ranges and absence proofs cannot be relied on",
                        by.event
                    ),
                    events: vec![d.by.clone(), by.clone()],
                });
            }
            for obs in &self.observations {
                let o = &obs.observation;
                if o.state != d.state {
                    continue;
                }
                let existed = o.existed_since.is_some_and(|since| since <= d.as_of);
                if !existed {
                    continue;
                }
                let Ok(key) = serde_json::from_value::<SortKey>(serde_json::json!({
                    "category": o.category, "region": o.region, "id": o.id
                })) else {
                    continue;
                };
                let ranges: Vec<VerifiedRange> = d.ranges.iter().map(|(r, _)| r.clone()).collect();
                let entries: Vec<VerifiedEntry> =
                    d.entries.iter().map(|(e, _)| e.clone()).collect();
                let gaps: Vec<VerifiedGap> = d.gaps.iter().map(|(g, _)| g.clone()).collect();
                let what = format!("{} {key} ({})", o.entry, o.description);
                match assess(&key, &ranges, &entries, &gaps) {
                    Assessment::Declared { .. } => {}
                    Assessment::Undeclared(evidence) => {
                        let (proof, how) = match evidence {
                            Evidence::Range { i, selector } => (
                                d.ranges[i].1.clone(),
                                format!("the complete reveal of {selector} holds no such entry"),
                            ),
                            Evidence::Gap { i } => (
                                d.gaps[i].1.clone(),
                                "the state's own gap proof shows its neighbours around where it would sort".to_owned(),
                            ),
                        };
                        out.push(Finding {
                            kind: FindingKind::Undeclared,
                            declaration: id.clone(),
                            state: d.state,
                            status: "closed",
                            message: format!(
                                "the declaration committed as complete as of {} does not contain the {what}, observed by event {} as existing since {}; {how} (event {})",
                                d.as_of,
                                obs.by.event,
                                o.existed_since.map(|s| s.to_string()).unwrap_or_default(),
                                proof.event
                            ),
                            events: vec![d.by.clone(), obs.by.clone(), proof],
                        });
                    }
                    Assessment::Undetermined => out.push(Finding {
                        kind: FindingKind::Unresolved,
                        declaration: id.clone(),
                        state: d.state,
                        status: "open",
                        message: format!(
                            "the {what}, observed by event {}, is neither opened nor proven absent yet: a complete reveal of ({}, {}) or the state's answer to a key challenge decides it",
                            obs.by.event, key.category, key.region
                        ),
                        events: vec![d.by.clone(), obs.by.clone()],
                    }),
                }
            }
        }
        for c in self.challenges.values() {
            if c.answered_by.is_some() {
                continue;
            }
            let Some(d) = self.declarations.get(&c.declaration) else {
                continue;
            };
            out.push(Finding {
                kind: FindingKind::ChallengeOpen,
                declaration: c.declaration.clone(),
                state: d.state,
                status: "open",
                message: match (&c.key, c.n) {
                    (Some(k), _) => format!("key challenge {} ({k}) awaits the state's answer", c.by.event),
                    (None, Some(n)) => format!(
                        "sample challenge {} ({n} entries from the root of the checkpoint at size {}) awaits the state's reveal",
                        c.by.event,
                        c.seed.map_or(0, |s| s.1)
                    ),
                    _ => format!("challenge {} awaits its answer", c.by.event),
                },
                events: vec![d.by.clone(), c.by.clone()],
            });
        }
        out
    }
}

fn parse_list<T: serde::de::DeserializeOwned>(
    field: &str,
    map: &Map<String, Value>,
) -> Result<Vec<T>, EscrowRuleError> {
    let list = map
        .get("entries")
        .ok_or_else(|| refuse(field, "an object {\"entries\": [...]}"))?;
    serde_path_to_error::deserialize(list.clone()).map_err(|e| {
        refuse(
            &format!("{field}.entries.{}", e.path()),
            e.inner().to_string(),
        )
    })
}

/// The checkpoint a signed note holds (its signature is checked by whoever
/// holds the log's verifier key: the CLI, the audit, an evidence verifier).
pub fn seed_checkpoint(note: &str) -> Result<Checkpoint, String> {
    let note =
        Note::parse(note.as_bytes()).map_err(|e| format!("a signed checkpoint note: {e}"))?;
    Checkpoint::parse_body(note.text()).map_err(|e| format!("a checkpoint body: {e}"))
}

//! Every alert the record raises (issue 5, point 3), each with a case that
//! raises it and one that does not, and the evidence each names: the leaf, id
//! and stated time of the events it rests on.
//!
//! States XAA, XBB and XCC are fictional.

mod common;

use common::*;
use custodian_core::event::{
    ControlTransfer, CustodyTransfer, ItemArrive, ItemDepart, ItemExercise, ItemProduce,
    ItemStatus, PolicySet, RegistryRow, SiteRegister,
};
use custodian_core::ids::ItemId;
use custodian_core::{Event, EventId, LeafIndex, Payload};
use custodian_custody::{alerts, Alert, AlertKind, Custody, EventRef, Location};
use custodian_ledger::submission::approve;
use std::collections::BTreeMap;

/// Event `e-<n>` by `by`, approved by each of `approvers`.
fn ev_by(n: u32, time: &str, by: &str, payload: Payload, approvers: &[&str]) -> Event {
    let mut e = Event {
        id: EventId::parse(&format!("e-{n}")).expect("valid event id"),
        time: t(time),
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

/// Event `e-<n>` by xaa-officer-1 with no approvals.
fn ev(n: u32, time: &str, payload: Payload) -> Event {
    ev_by(n, time, "xaa-officer-1", payload, &[])
}

fn register(n: u32, id: &str, state: &str) -> Event {
    ev(
        n,
        "2026-01-01T00:00:00Z",
        Payload::SiteRegister(SiteRegister {
            site: site(id),
            name: id.into(),
            state: st(state),
            site_type: "storage".into(),
        }),
    )
}

fn produce(n: u32, time: &str, id: &str, custodian: &str, controller: &str) -> Event {
    ev(
        n,
        time,
        Payload::ItemProduce(ItemProduce {
            item: item(id),
            item_type: "bomb".into(),
            site: site("depot"),
            custodian: st(custodian),
            controller: st(controller),
            status: ItemStatus::Stockpiled,
        }),
    )
}

/// Leaves 0-4: XAA's depot, XBB's airbase and other-base, XCC's far-site, and
/// XAA's w-1 at the depot (leaf 4, event e-5).
fn base() -> Vec<Event> {
    vec![
        register(1, "depot", "XAA"),
        register(2, "airbase", "XBB"),
        register(3, "other-base", "XBB"),
        register(4, "far-site", "XCC"),
        produce(5, "2026-01-02T00:00:00Z", "w-1", "XAA", "XAA"),
    ]
}

fn depart_payload(id: &str, from: &str, to: &str, by: &str) -> Payload {
    Payload::ItemDepart(ItemDepart {
        item: item(id),
        from: site(from),
        to: site(to),
        arrive_by_utc: t(by),
    })
}

fn depart(n: u32, time: &str, from: &str, to: &str, by: &str) -> Event {
    ev(n, time, depart_payload("w-1", from, to, by))
}

fn arrive(n: u32, time: &str, at: &str) -> Event {
    ev(
        n,
        time,
        Payload::ItemArrive(ItemArrive {
            item: item("w-1"),
            site: site(at),
        }),
    )
}

fn exercise(n: u32, time: &str, at: &str) -> Event {
    ev(
        n,
        time,
        Payload::ItemExercise(ItemExercise {
            item: item("w-1"),
            site: site(at),
            exercise: "certification".into(),
            participants: vec![st("XAA"), st("XBB")],
        }),
    )
}

fn control_payload(from: &str, to: &str) -> Payload {
    Payload::ControlTransfer(ControlTransfer {
        item: item("w-1"),
        from: st(from),
        to: st(to),
        condition: Some("upon decision to go to war (hypothetical)".into()),
        wartime: true,
    })
}

fn custody_payload(from: &str, to: &str) -> Payload {
    Payload::CustodyTransfer(CustodyTransfer {
        item: item("w-1"),
        from: st(from),
        to: st(to),
    })
}

/// Leaf `i` holds `events[i]`.
fn replay_into(custody: Custody, events: &[Event]) -> Custody {
    custody
        .replay(
            events
                .iter()
                .enumerate()
                .map(|(i, e)| (LeafIndex(i as u64), e)),
            None,
        )
        .expect("the events fit the record")
}

fn replay(events: &[Event]) -> Custody {
    replay_into(Custody::new(), events)
}

/// The reference to the event in leaf `leaf`.
fn at(events: &[Event], leaf: usize) -> EventRef {
    EventRef {
        leaf: LeafIndex(leaf as u64),
        event: events[leaf].id.clone(),
        time: events[leaf].time,
    }
}

/// Every alert names at least one event, and each names the event that leaf
/// holds, with its id and stated time.
fn assert_evidence_is_in_the_log(alerts: &[Alert], events: &[Event]) {
    for a in alerts {
        assert!(!a.evidence.is_empty(), "{a:?} names no event");
        for r in &a.evidence {
            let e = events
                .get(r.leaf.0 as usize)
                .unwrap_or_else(|| panic!("{a:?}: no leaf {}", r.leaf.0));
            assert_eq!((&r.event, r.time), (&e.id, e.time), "{a:?}");
        }
    }
}

fn names(alerts: &[Alert]) -> Vec<&'static str> {
    alerts.iter().map(|a| a.kind.name()).collect()
}

#[test]
fn transit_overdue_fires_after_the_window_and_not_at_it_before_it_or_after_arrival() {
    let mut events = base();
    events.push(depart(
        6,
        "2026-02-01T06:00:00Z",
        "depot",
        "airbase",
        "2026-02-02T06:00:00Z",
    ));
    let c = replay(&events);
    for now in [
        "2026-02-01T06:00:00Z",
        "2026-02-01T12:00:00Z",
        "2026-02-02T06:00:00Z",
    ] {
        assert_eq!(alerts(&c, t(now)), vec![], "not late at {now}");
    }
    let late = alerts(&c, t("2026-02-02T06:00:01Z"));
    assert_eq!(
        late,
        vec![Alert {
            item: Some(item("w-1")),
            kind: AlertKind::TransitOverdue {
                to: site("airbase"),
                arrive_by: t("2026-02-02T06:00:00Z"),
            },
            evidence: vec![at(&events, 5)],
        }]
    );
    assert_evidence_is_in_the_log(&late, &events);
    // Still late a month on.
    assert_eq!(
        names(&alerts(&c, t("2026-03-02T00:00:00Z"))),
        ["transit_overdue"]
    );

    // Once it has arrived (even late), the transit is over.
    for arrived in ["2026-02-02T05:00:00Z", "2026-02-05T00:00:00Z"] {
        let mut events = events.clone();
        events.push(arrive(7, arrived, "airbase"));
        let c = replay(&events);
        assert_eq!(
            alerts(&c, t("2026-03-01T00:00:00Z")),
            vec![],
            "arrived {arrived}"
        );
    }
}

#[test]
fn arrival_elsewhere_and_in_another_state_and_none_when_as_declared() {
    let run = |to: &str| {
        let mut events = base();
        events.push(depart(
            6,
            "2026-02-01T06:00:00Z",
            "depot",
            "airbase",
            "2026-02-02T06:00:00Z",
        ));
        events.push(arrive(7, "2026-02-01T20:00:00Z", to));
        let out = alerts(&replay(&events), t("2026-02-03T00:00:00Z"));
        assert_evidence_is_in_the_log(&out, &events);
        (out, at(&events, 6))
    };
    let (out, _) = run("airbase");
    assert_eq!(out, vec![], "arrived where declared");

    // Another site of the same state.
    let (out, arrival) = run("other-base");
    assert_eq!(names(&out), ["arrived_elsewhere"]);
    assert_eq!(out[0].item, Some(item("w-1")));
    assert_eq!(
        out[0].kind,
        AlertKind::ArrivedElsewhere {
            declared: site("airbase"),
            arrived: site("other-base"),
        }
    );
    assert!(out[0].evidence.contains(&arrival), "{:?}", out[0]);

    // A site of another state.
    let (out, arrival) = run("far-site");
    assert_eq!(
        names(&out),
        ["arrived_elsewhere", "arrived_in_another_state"]
    );
    assert_eq!(
        out[1].kind,
        AlertKind::ArrivedInAnotherState {
            declared: st("XBB"),
            arrived: st("XCC"),
        }
    );
    for a in &out {
        assert_eq!(a.item, Some(item("w-1")));
        assert!(a.evidence.contains(&arrival), "{a:?}");
    }
}

#[test]
fn an_arrival_elsewhere_names_the_departure_that_declared_the_destination() {
    let mut events = base();
    events.push(depart(
        6,
        "2026-02-01T06:00:00Z",
        "depot",
        "airbase",
        "2026-02-02T06:00:00Z",
    ));
    events.push(arrive(7, "2026-02-01T20:00:00Z", "far-site"));
    let out = alerts(&replay(&events), t("2026-02-03T00:00:00Z"));
    assert_eq!(out.len(), 2, "{out:?}");
    for a in &out {
        assert_eq!(a.evidence, vec![at(&events, 5), at(&events, 6)], "{a:?}");
    }
}

#[test]
fn custody_and_control_that_differ_raise_an_alert_and_none_when_equal() {
    let mut events = base();
    let now = t("2026-06-01T00:00:00Z");
    assert_eq!(
        alerts(&replay(&events), now),
        vec![],
        "same custodian and controller"
    );

    // Control passes to XBB: XAA holds it, XBB may use it.
    events.push(ev(6, "2026-03-01T00:00:00Z", control_payload("XAA", "XBB")));
    let out = alerts(&replay(&events), now);
    assert_eq!(
        out,
        vec![Alert {
            item: Some(item("w-1")),
            kind: AlertKind::CustodyControlDiffer {
                custodian: st("XAA"),
                controller: st("XBB"),
            },
            // The event that made XAA custodian, then the one that made XBB controller.
            evidence: vec![at(&events, 4), at(&events, 5)],
        }]
    );
    assert_evidence_is_in_the_log(&out, &events);

    // Custody follows: equal again, no alert.
    events.push(ev(7, "2026-04-01T00:00:00Z", custody_payload("XAA", "XBB")));
    assert_eq!(alerts(&replay(&events), now), vec![]);

    // Custody first: the custody transfer comes first in the evidence.
    let mut events = base();
    events.push(ev(6, "2026-03-01T00:00:00Z", custody_payload("XAA", "XBB")));
    let out = alerts(&replay(&events), now);
    assert_eq!(names(&out), ["custody_control_differ"]);
    assert_eq!(out[0].evidence, vec![at(&events, 5), at(&events, 4)]);

    // Produced under another's control: one event is the evidence, once.
    let mut events = base();
    events.push(produce(6, "2026-01-03T00:00:00Z", "w-2", "XAA", "XBB"));
    let out = alerts(&replay(&events), now);
    assert_eq!(names(&out), ["custody_control_differ"]);
    assert_eq!(out[0].item, Some(item("w-2")));
    assert_eq!(out[0].evidence, vec![at(&events, 5)]);
}

/// xaa-officer-2's key, compromised since this time.
const COMPROMISED: &str = "2026-02-01T00:00:00Z";

fn compromised() -> Custody {
    Custody::new().with_compromised(BTreeMap::from([(actor("xaa-officer-2"), t(COMPROMISED))]))
}

#[test]
fn an_approval_by_a_key_revoked_as_compromised_raises_an_alert_from_its_time_on() {
    let now = t("2026-06-01T00:00:00Z");
    let run = |event: Event| {
        let mut events = base();
        events.push(event);
        let out = alerts(&replay_into(compromised(), &events), now);
        assert_evidence_is_in_the_log(&out, &events);
        (out, at(&events, 5))
    };
    let move_it = || depart_payload("w-1", "depot", "airbase", "2026-12-01T00:00:00Z");

    // Approved the second before the compromise: nothing to raise.
    let (out, _) = run(ev_by(
        6,
        "2026-01-31T23:59:59Z",
        "xaa-officer-1",
        move_it(),
        &["xaa-officer-2"],
    ));
    assert_eq!(names(&out), Vec::<&str>::new());

    // Approved at and after the compromise.
    for time in [COMPROMISED, "2026-02-01T00:00:01Z", "2026-05-01T00:00:00Z"] {
        let (out, approved) = run(ev_by(
            6,
            time,
            "xaa-officer-1",
            move_it(),
            &["xaa-officer-2"],
        ));
        let suspect: Vec<&Alert> = out
            .iter()
            .filter(|a| a.kind.name() == "revoked_key_approval")
            .collect();
        assert_eq!(
            suspect,
            vec![&Alert {
                item: Some(item("w-1")),
                kind: AlertKind::RevokedKeyApproval {
                    actor: actor("xaa-officer-2"),
                    compromised_since: t(COMPROMISED),
                },
                evidence: vec![approved],
            }],
            "approved at {time}"
        );
    }

    // Submitted, not approved, with the compromised key: raised too.
    let (out, submitted) = run(ev_by(
        6,
        "2026-03-01T00:00:00Z",
        "xaa-officer-2",
        move_it(),
        &["xaa-officer-1"],
    ));
    assert!(
        out.iter()
            .any(|a| a.kind.name() == "revoked_key_approval"
                && a.evidence == vec![submitted.clone()]),
        "{out:?}"
    );

    // Other keys after the compromise: nothing.
    let (out, _) = run(ev_by(
        6,
        "2026-03-01T00:00:00Z",
        "xaa-officer-1",
        move_it(),
        &["xaa-officer-3"],
    ));
    assert!(
        !out.iter().any(|a| a.kind.name() == "revoked_key_approval"),
        "{out:?}"
    );
    // No compromised keys at all: nothing.
    let mut events = base();
    events.push(ev_by(
        6,
        "2026-03-01T00:00:00Z",
        "xaa-officer-1",
        move_it(),
        &["xaa-officer-2"],
    ));
    assert!(!alerts(&replay(&events), now)
        .iter()
        .any(|a| a.kind.name() == "revoked_key_approval"));
}

#[test]
fn a_compromised_key_on_a_site_declaration_or_policy_change_raises_an_alert() {
    let now = t("2026-06-01T00:00:00Z");
    let after = "2026-03-01T00:00:00Z";
    let row = |table: &str| {
        let mut row = serde_json::Map::new();
        row.insert("iso3".into(), "XAA".into());
        Payload::RegistryRow(RegistryRow {
            table: table.into(),
            row,
        })
    };
    let site_register = Payload::SiteRegister(SiteRegister {
        site: site("new-depot"),
        name: "New depot".into(),
        state: st("XAA"),
        site_type: "storage".into(),
    });
    let cases = [
        (
            "site.register approved",
            "xaa-officer-1",
            site_register,
            &["xaa-officer-2"][..],
        ),
        (
            "policy.set submitted",
            "xaa-officer-2",
            Payload::PolicySet(PolicySet { rules: vec![] }),
            &[][..],
        ),
        (
            "registry.row (states) submitted",
            "xaa-officer-2",
            row("states"),
            &[][..],
        ),
        // The control: any other table's row is noted.
        (
            "registry.row (treaties) submitted",
            "xaa-officer-2",
            row("treaties"),
            &[][..],
        ),
    ];
    let mut missed = Vec::new();
    for (what, by, payload, approvers) in cases {
        let mut events = base();
        events.push(ev_by(6, after, by, payload, approvers));
        let out = alerts(&replay_into(compromised(), &events), now);
        let want = vec![Alert {
            item: None,
            kind: AlertKind::RevokedKeyApproval {
                actor: actor("xaa-officer-2"),
                compromised_since: t(COMPROMISED),
            },
            evidence: vec![at(&events, 5)],
        }];
        if out != want {
            missed.push(format!("{what} by a compromised key: {out:?}"));
        }
    }
    assert_eq!(
        missed,
        Vec::<String>::new(),
        "expected a revoked_key_approval alert"
    );
}

#[test]
fn an_exercise_elsewhere_places_the_item_in_two_places_at_once() {
    let now = t("2026-06-01T00:00:00Z");

    // At its own site: nothing.
    let mut events = base();
    events.push(exercise(6, "2026-02-01T00:00:00Z", "depot"));
    assert_eq!(alerts(&replay(&events), now), vec![]);

    // At another site while the record has it at the depot.
    let mut events = base();
    events.push(exercise(6, "2026-02-01T00:00:00Z", "airbase"));
    let c = replay(&events);
    let out = alerts(&c, now);
    assert_eq!(
        out,
        vec![Alert {
            item: Some(item("w-1")),
            kind: AlertKind::TwoPlacesAtOnce {
                claimed: site("airbase"),
                recorded: Location::AtSite {
                    site: site("depot"),
                    since: t("2026-01-02T00:00:00Z"),
                }
                .to_string(),
            },
            // What put it at the depot, then what claims it elsewhere.
            evidence: vec![at(&events, 4), at(&events, 5)],
        }]
    );
    assert_evidence_is_in_the_log(&out, &events);
    assert_eq!(
        c.item(&item("w-1")).unwrap().location,
        Location::AtSite {
            site: site("depot"),
            since: t("2026-01-02T00:00:00Z"),
        },
        "an exercise does not move the item"
    );

    // While in transit, even at the declared destination.
    let mut events = base();
    events.push(depart(
        6,
        "2026-02-01T00:00:00Z",
        "depot",
        "airbase",
        "2026-02-01T12:00:00Z",
    ));
    events.push(exercise(7, "2026-02-01T06:00:00Z", "airbase"));
    let out = alerts(&replay(&events), t("2026-02-01T07:00:00Z"));
    assert_eq!(names(&out), ["two_places_at_once"]);
    assert_eq!(
        out[0].kind,
        AlertKind::TwoPlacesAtOnce {
            claimed: site("airbase"),
            recorded: "in transit from depot to airbase".into(),
        }
    );
    assert_eq!(out[0].evidence, vec![at(&events, 5), at(&events, 6)]);

    // After it has arrived there: nothing.
    let mut events = events[..6].to_vec();
    events.push(arrive(7, "2026-02-01T05:00:00Z", "airbase"));
    events.push(exercise(8, "2026-02-01T06:00:00Z", "airbase"));
    assert_eq!(alerts(&replay(&events), t("2026-02-01T07:00:00Z")), vec![]);
}

#[test]
fn every_alert_names_the_events_it_rests_on_in_the_documented_order() {
    let mut events = base();
    // Leaves 5-8: w-1 goes to XBB's airbase but arrives in XCC, is exercised at
    // the depot it left, and its control passes to XBB with an approval by the
    // compromised key.
    events.push(depart(
        6,
        "2026-02-01T00:00:00Z",
        "depot",
        "airbase",
        "2026-02-02T00:00:00Z",
    ));
    events.push(arrive(7, "2026-02-01T12:00:00Z", "far-site"));
    events.push(exercise(8, "2026-02-03T00:00:00Z", "depot"));
    events.push(ev_by(
        9,
        "2026-02-04T00:00:00Z",
        "xaa-officer-1",
        control_payload("XAA", "XBB"),
        &["xaa-officer-2", "xbb-officer-1"],
    ));
    // Leaves 9-10: w-2 leaves the depot and is never seen again.
    events.push(produce(10, "2026-01-03T00:00:00Z", "w-2", "XAA", "XAA"));
    events.push(ev(
        11,
        "2026-02-05T00:00:00Z",
        depart_payload("w-2", "depot", "airbase", "2026-02-06T00:00:00Z"),
    ));
    let c = replay_into(compromised(), &events);
    let out = alerts(&c, t("2026-03-01T00:00:00Z"));
    assert_evidence_is_in_the_log(&out, &events);
    // Item alerts in item order, then arrivals, conflicts and suspect
    // signatures in log order.
    assert_eq!(
        names(&out),
        [
            "custody_control_differ",
            "transit_overdue",
            "arrived_elsewhere",
            "arrived_in_another_state",
            "two_places_at_once",
            "revoked_key_approval",
        ]
    );
    let items: Vec<Option<ItemId>> = out.iter().map(|a| a.item.clone()).collect();
    assert_eq!(
        items,
        [
            Some(item("w-1")),
            Some(item("w-2")),
            Some(item("w-1")),
            Some(item("w-1")),
            Some(item("w-1")),
            Some(item("w-1")),
        ]
    );
    assert_eq!(out[0].evidence, vec![at(&events, 4), at(&events, 8)]);
    assert_eq!(out[1].evidence, vec![at(&events, 10)]);
    assert!(out[2].evidence.contains(&at(&events, 6)), "{:?}", out[2]);
    assert!(out[3].evidence.contains(&at(&events, 6)), "{:?}", out[3]);
    assert_eq!(out[4].evidence, vec![at(&events, 6), at(&events, 7)]);
    assert_eq!(out[5].evidence, vec![at(&events, 8)]);

    // The JSON form carries the kind's name and the evidence.
    for a in &out {
        let json = serde_json::to_value(a).expect("serialize");
        assert_eq!(json["kind"], a.kind.name());
        let evidence = json["evidence"].as_array().expect("an array of events");
        assert_eq!(evidence.len(), a.evidence.len());
        for (j, r) in evidence.iter().zip(&a.evidence) {
            assert_eq!(j["event"], r.event.as_str());
            assert_eq!(j["leaf"], r.leaf.0);
        }
    }
}

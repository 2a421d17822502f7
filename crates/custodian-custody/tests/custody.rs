//! Item state from events, refusals of inconsistent events, and every alert with
//! a case that raises it and one that does not (issue 5, points 1 and 3).

mod common;

use common::*;
use custodian_core::event::{
    ControlTransfer, CustodyTransfer, ItemArrive, ItemDepart, ItemDismantle, ItemProduce,
    ItemStatus, SiteRegister,
};
use custodian_core::{ActorId, Event, EventId, LeafIndex, Payload};
use custodian_custody::{alerts, AlertKind, Custody, CustodyError, Location};

fn ev(n: u32, time: &str, payload: Payload) -> Event {
    Event {
        id: EventId::parse(&format!("e-{n}")).unwrap(),
        time: t(time),
        actor: ActorId::parse("xaa-officer-1").unwrap(),
        payload,
        approvals: Vec::new(),
    }
}

/// Two states' sites and one weapon at XAA's depot (fictional states XAA, XBB).
fn base() -> Vec<Event> {
    let register = |n, s: &str, state: &str| {
        ev(
            n,
            "2026-01-01T00:00:00Z",
            Payload::SiteRegister(SiteRegister {
                site: site(s),
                name: s.into(),
                state: st(state),
                site_type: "storage".into(),
            }),
        )
    };
    vec![
        register(1, "depot", "XAA"),
        register(2, "airbase", "XBB"),
        register(3, "other-base", "XBB"),
        register(4, "far-site", "XCC"),
        ev(
            5,
            "2026-01-02T00:00:00Z",
            Payload::ItemProduce(ItemProduce {
                item: item("w-1"),
                item_type: "bomb".into(),
                site: site("depot"),
                custodian: st("XAA"),
                controller: st("XAA"),
                status: ItemStatus::Stockpiled,
            }),
        ),
    ]
}

fn depart(n: u32, time: &str, from: &str, to: &str, by: &str) -> Event {
    ev(
        n,
        time,
        Payload::ItemDepart(ItemDepart {
            item: item("w-1"),
            from: site(from),
            to: site(to),
            arrive_by_utc: t(by),
        }),
    )
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

fn replay(events: &[Event]) -> Result<Custody, CustodyError> {
    let mut c = Custody::new();
    for (i, e) in events.iter().enumerate() {
        c.apply(LeafIndex(i as u64), e)?;
    }
    Ok(c)
}

#[test]
fn state_at_any_time_is_derived_from_the_events() {
    let mut events = base();
    events.push(depart(
        6,
        "2026-02-01T06:00:00Z",
        "depot",
        "airbase",
        "2026-02-02T06:00:00Z",
    ));
    events.push(arrive(7, "2026-02-01T20:00:00Z", "airbase"));
    events.push(ev(
        8,
        "2026-03-01T00:00:00Z",
        Payload::CustodyTransfer(CustodyTransfer {
            item: item("w-1"),
            from: st("XAA"),
            to: st("XBB"),
        }),
    ));
    let mid = Custody::new()
        .replay(
            events
                .iter()
                .enumerate()
                .map(|(i, e)| (LeafIndex(i as u64), e)),
            Some(t("2026-02-01T12:00:00Z")),
        )
        .unwrap();
    let w = mid.item(&item("w-1")).unwrap();
    assert!(matches!(w.location, Location::InTransit { .. }), "{w:?}");
    assert_eq!(mid.item_state_code(w), None);
    let end = replay(&events).unwrap();
    let w = end.item(&item("w-1")).unwrap();
    assert_eq!(
        w.location,
        Location::AtSite {
            site: site("airbase"),
            since: t("2026-02-01T20:00:00Z")
        }
    );
    assert_eq!(end.item_state_code(w), Some(st("XBB")));
    assert_eq!((w.custodian, w.controller), (st("XBB"), st("XAA")));
    assert_eq!(w.last.event.as_str(), "e-8");
    assert_eq!(w.custody_by.leaf, LeafIndex(7));
    assert_eq!(w.located_by.event.as_str(), "e-7");
    assert_eq!(w.produced_by.event.as_str(), "e-5");
}

#[test]
fn inconsistent_events_are_refused_and_change_nothing() {
    let cases: Vec<(Event, &str)> = vec![
        (
            arrive(6, "2026-02-01T00:00:00Z", "airbase"),
            "expected a departure before an arrival",
        ),
        (
            depart(
                6,
                "2026-02-01T00:00:00Z",
                "airbase",
                "depot",
                "2026-02-02T00:00:00Z",
            ),
            "field payload.from",
        ),
        (
            depart(
                6,
                "2026-02-01T00:00:00Z",
                "depot",
                "nowhere",
                "2026-02-02T00:00:00Z",
            ),
            "unknown site nowhere",
        ),
        (
            depart(
                6,
                "2026-02-01T00:00:00Z",
                "depot",
                "airbase",
                "2026-01-31T00:00:00Z",
            ),
            "field payload.arrive_by_utc",
        ),
        (
            ev(
                6,
                "2026-02-01T00:00:00Z",
                Payload::CustodyTransfer(CustodyTransfer {
                    item: item("w-1"),
                    from: st("XBB"),
                    to: st("XCC"),
                }),
            ),
            "expected the custodian XAA, found XBB",
        ),
        (
            ev(
                6,
                "2026-02-01T00:00:00Z",
                Payload::ControlTransfer(ControlTransfer {
                    item: item("w-9"),
                    from: st("XAA"),
                    to: st("XBB"),
                    condition: None,
                    wartime: false,
                }),
            ),
            "unknown item w-9",
        ),
        (
            depart(
                6,
                "2025-12-01T00:00:00Z",
                "depot",
                "airbase",
                "2026-02-02T00:00:00Z",
            ),
            "is before the item's last event",
        ),
    ];
    for (event, want) in cases {
        let mut c = replay(&base()).unwrap();
        let before = format!("{:?}", c.items().collect::<Vec<_>>());
        let err = c.apply(LeafIndex(99), &event).unwrap_err();
        assert!(err.to_string().contains(want), "expected {want:?} in {err}");
        assert_eq!(
            format!("{:?}", c.items().collect::<Vec<_>>()),
            before,
            "{want}"
        );
    }
    // Nothing happens to a dismantled item; an item is retired before it is
    // dismantled.
    let mut events = base();
    let dismantle = ev(
        7,
        "2026-02-01T00:00:00Z",
        Payload::ItemDismantle(ItemDismantle {
            item: item("w-1"),
            site: site("depot"),
        }),
    );
    let err = replay(&[events.clone(), vec![dismantle.clone()]].concat()).unwrap_err();
    assert!(
        err.to_string().contains("a retired item (retire it first)"),
        "{err}"
    );
    events.push(ev(
        6,
        "2026-01-20T00:00:00Z",
        Payload::ItemRetire(custodian_core::event::ItemRetire { item: item("w-1") }),
    ));
    events.push(dismantle);
    let mut c = replay(&events).unwrap();
    assert_eq!(c.item(&item("w-1")).unwrap().status, ItemStatus::Dismantled);
    let err = c
        .apply(
            LeafIndex(9),
            &depart(
                7,
                "2026-02-02T00:00:00Z",
                "depot",
                "airbase",
                "2026-02-03T00:00:00Z",
            ),
        )
        .unwrap_err();
    assert!(err.to_string().contains("it was dismantled"), "{err}");
}

#[test]
fn transit_overdue_fires_after_the_window_and_not_before() {
    let mut events = base();
    events.push(depart(
        6,
        "2026-02-01T06:00:00Z",
        "depot",
        "airbase",
        "2026-02-02T06:00:00Z",
    ));
    let c = replay(&events).unwrap();
    let overdue = |now: &str| {
        alerts(&c, t(now))
            .into_iter()
            .any(|a| matches!(a.kind, AlertKind::TransitOverdue { .. }))
    };
    assert!(
        !overdue("2026-02-02T06:00:00Z"),
        "at the end of the window it is not late"
    );
    assert!(overdue("2026-02-02T06:00:01Z"));
    // Arrived in time: no alert later.
    events.push(arrive(7, "2026-02-02T05:00:00Z", "airbase"));
    let c = replay(&events).unwrap();
    assert!(alerts(&c, t("2026-03-01T00:00:00Z")).is_empty());
}

#[test]
fn arrival_elsewhere_and_in_another_state() {
    let run = |at: &str| {
        let mut events = base();
        events.push(depart(
            6,
            "2026-02-01T06:00:00Z",
            "depot",
            "airbase",
            "2026-02-02T06:00:00Z",
        ));
        events.push(arrive(7, "2026-02-01T20:00:00Z", at));
        alerts(&replay(&events).unwrap(), t("2026-02-03T00:00:00Z"))
    };
    assert!(run("airbase").is_empty(), "arrived where declared");
    let same_state = run("other-base");
    assert_eq!(same_state.len(), 1, "{same_state:?}");
    assert!(matches!(
        same_state[0].kind,
        AlertKind::ArrivedElsewhere { .. }
    ));
    let other_state = run("far-site");
    assert!(other_state
        .iter()
        .any(|a| matches!(a.kind, AlertKind::ArrivedElsewhere { .. })));
    assert!(other_state.iter().any(|a| a.kind
        == AlertKind::ArrivedInAnotherState {
            declared: st("XBB"),
            arrived: st("XCC")
        }));
}

#[test]
fn custody_and_control_that_differ_raise_an_alert() {
    let mut events = base();
    let c = replay(&events).unwrap();
    assert!(
        alerts(&c, t("2026-02-01T00:00:00Z")).is_empty(),
        "same custodian and controller"
    );
    events.push(ev(
        6,
        "2026-03-01T00:00:00Z",
        Payload::ControlTransfer(ControlTransfer {
            item: item("w-1"),
            from: st("XAA"),
            to: st("XBB"),
            condition: Some("upon decision to go to war (hypothetical)".into()),
            wartime: true,
        }),
    ));
    let c = replay(&events).unwrap();
    assert_eq!(
        alerts(&c, t("2026-03-02T00:00:00Z")),
        vec![custodian_custody::Alert {
            item: Some(item("w-1")),
            kind: AlertKind::CustodyControlDiffer {
                custodian: st("XAA"),
                controller: st("XBB")
            },
            evidence: vec![
                custodian_custody::EventRef {
                    leaf: LeafIndex(4),
                    event: EventId::parse("e-5").unwrap(),
                    time: t("2026-01-02T00:00:00Z"),
                },
                custodian_custody::EventRef {
                    leaf: LeafIndex(5),
                    event: EventId::parse("e-6").unwrap(),
                    time: t("2026-03-01T00:00:00Z"),
                },
            ],
        }]
    );
}

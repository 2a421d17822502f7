//! Encode/decode round trips of events and submissions (proptest): whatever the
//! core writes, it reads back to the same value, and the canonical bytes of a
//! leaf are a fixed point of parse-then-encode.

use custodian_core::event::{
    ControlTransfer, CorrectionCode, CustodyTransfer, Direction, Element, FacilityId,
    FacilityRegister, InventoryChange, InventoryTaking, Isotope, ItemDepart, ItemStatus, KmpCode,
    KmpDeclaration, KmpKind, LineReference, MaterialCategory, MbaCode, MbaRegister, Measurement,
    MeasurementBasis, PhysicalInventory, Signature,
};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::Date;
use custodian_core::{
    ActorId, Approval, Event, EventId, Payload, SignedSubmission, StateCode, Submission, UtcTime,
};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._:-]{0,20}"
}

fn state() -> impl Strategy<Value = StateCode> {
    "[A-Z]{3}".prop_map(|s| StateCode::parse(&s).unwrap())
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{1,40}"
}

fn grams() -> impl Strategy<Value = f64> {
    prop_oneof![0.0..1e9f64, (0u64..1_000_000_000).prop_map(|g| g as f64)]
}

fn mba() -> impl Strategy<Value = String> {
    "[A-Z0-9]{1,8}"
}

fn date() -> impl Strategy<Value = Date> {
    (0i64..40_000).prop_map(|d| Date::parse("1970-01-01").unwrap().plus_days(d))
}

/// Masses of material lines: whole milligrams (at most three decimals).
fn line_grams() -> impl Strategy<Value = f64> {
    (0u64..1_000_000_000_000_000).prop_map(|mg| mg as f64 / 1000.0)
}

/// A line's element, category and weights that pass the core's checks: Pu
/// (category stated or derived) or uranium with an enrichment that fits its
/// category (stated, or derived from the enrichment).
fn material() -> impl Strategy<Value = (Element, Option<MaterialCategory>, f64, Option<f64>)> {
    prop_oneof![
        (line_grams(), any::<bool>()).prop_map(|(g, stated)| (
            Element::Pu,
            stated.then_some(MaterialCategory::Pu),
            g,
            None
        )),
        (1_000u64..1_000_000_000_000, 1u64..=93, any::<bool>()).prop_map(|(mg, pct, stated)| {
            let iso_mg = mg * pct / 100;
            let category = if 5 * iso_mg >= mg {
                MaterialCategory::Heu
            } else {
                MaterialCategory::Leu
            };
            (
                Element::U,
                stated.then_some(category),
                mg as f64 / 1000.0,
                Some(iso_mg as f64 / 1000.0),
            )
        }),
    ]
}

/// Valid inventory changes: receipts and shipments with a counterpart,
/// measured discards, signed new measurements; plain, deleting or late.
fn inventory_change() -> impl Strategy<Value = Payload> {
    (
        (mba(), text(), 0usize..4, material()),
        (
            proptest::option::of(id()),
            any::<bool>(),
            0u8..3,
            id(),
            date(),
        ),
        (
            proptest::option::of(text()),
            proptest::option::of(prop::sample::select(vec!["U2", "CP", "EA", "WL"])),
            proptest::option::of(prop::sample::select(vec![
                MeasurementBasis::MeasuredHere,
                MeasurementBasis::EstimatedElsewhere,
            ])),
            proptest::option::of("[A-Z0-9]{1,4}"),
            proptest::option::of(0u32..=999_999),
            proptest::option::of("[A-Z0-9]{1,5}"),
        ),
    )
        .prop_map(
            |(
                (mba, batch, which, (element, category, g, iso)),
                (counterpart, external, correction, target, original),
                (line, form, basis, kmp, items, obligation),
            )| {
                let (code, direction) = [
                    ("RD", None),
                    ("SD", None),
                    ("TE", None),
                    ("NM", Some(Direction::Decrease)),
                ][which];
                // A signed line states its category (it is not derived).
                let category = if code == "NM" {
                    Some(category.unwrap_or(if element == Element::Pu {
                        MaterialCategory::Pu
                    } else {
                        MaterialCategory::Leu
                    }))
                } else {
                    category
                };
                let counterpart_mba = matches!(code, "RD" | "SD").then(|| {
                    match counterpart {
                        Some(c) if external => {
                            format!("EXT:{}", c.to_uppercase().replace([':', '_'], "-"))
                        }
                        // Another MBA: the code with a different last character.
                        _ => {
                            let last = if mba.ends_with('X') { 'Y' } else { 'X' };
                            format!("{}{last}", &mba[..mba.len().min(7)])
                        }
                    }
                });
                let correction = [
                    None,
                    Some(CorrectionCode::Delete),
                    Some(CorrectionCode::Late),
                ][correction as usize];
                Payload::InventoryChange(InventoryChange {
                    mba,
                    batch,
                    code: code.to_string(),
                    element,
                    element_grams: g,
                    isotope_grams: iso,
                    counterpart_mba,
                    line,
                    material_category: category,
                    isotope: iso.map(|_| Isotope::U235),
                    form: form.map(str::to_string),
                    measurement_basis: basis,
                    kmp: kmp.map(|k| KmpCode::parse(&k).unwrap()),
                    items,
                    direction,
                    previous_category: None,
                    previous_batch: None,
                    obligation,
                    previous_obligation: None,
                    pit_date: None,
                    corrects: (correction == Some(CorrectionCode::Delete)).then(|| LineReference {
                        event: EventId::parse(&target).unwrap(),
                    }),
                    original_date: (correction == Some(CorrectionCode::Late)).then_some(original),
                    correction,
                })
            },
        )
}

fn physical_inventory() -> impl Strategy<Value = Payload> {
    (
        (mba(), text(), material(), proptest::option::of(date())),
        (
            proptest::option::of(text()),
            proptest::option::of(0u32..=999_999),
            any::<bool>(),
            id(),
        ),
    )
        .prop_map(
            |((mba, batch, (element, category, g, iso), pit_date), (line, items, add, target))| {
                Payload::PhysicalInventory(PhysicalInventory {
                    mba,
                    batch,
                    element,
                    element_grams: g,
                    isotope_grams: iso,
                    pit_date,
                    line,
                    material_category: category,
                    isotope: None,
                    form: None,
                    measurement_basis: None,
                    kmp: None,
                    items,
                    obligation: None,
                    correction: add.then_some(CorrectionCode::Add),
                    corrects: add.then(|| LineReference {
                        event: EventId::parse(&target).unwrap(),
                    }),
                })
            },
        )
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        (
            id(),
            state(),
            state(),
            proptest::option::of(text()),
            any::<bool>()
        )
            .prop_filter_map("distinct states", |(i, a, b, c, w)| {
                (a != b).then(|| {
                    Payload::ControlTransfer(ControlTransfer {
                        item: ItemId::parse(&i).unwrap(),
                        from: a,
                        to: b,
                        condition: c,
                        wartime: w,
                    })
                })
            }),
        (id(), state(), state()).prop_filter_map("distinct states", |(i, a, b)| {
            (a != b).then(|| {
                Payload::CustodyTransfer(CustodyTransfer {
                    item: ItemId::parse(&i).unwrap(),
                    from: a,
                    to: b,
                })
            })
        }),
        (id(), id(), id(), 0i64..4_000_000_000).prop_filter_map(
            "distinct sites",
            |(i, f, t, s)| {
                (f != t).then(|| {
                    Payload::ItemDepart(ItemDepart {
                        item: ItemId::parse(&i).unwrap(),
                        from: SiteId::parse(&f).unwrap(),
                        to: SiteId::parse(&t).unwrap(),
                        arrive_by_utc: UtcTime::from_unix_seconds(s).unwrap(),
                    })
                })
            }
        ),
        inventory_change(),
        physical_inventory(),
        (id(), text(), state(), text()).prop_map(|(f, name, st, t)| {
            Payload::FacilityRegister(FacilityRegister {
                facility: FacilityId::parse(&f).unwrap(),
                name,
                state: st,
                facility_type: t,
            })
        }),
        (
            mba(),
            id(),
            text(),
            proptest::collection::btree_map("[A-Z0-9]{1,4}", (any::<bool>(), text()), 0..4)
        )
            .prop_map(|(m, f, name, kmps)| {
                Payload::MbaRegister(MbaRegister {
                    mba: MbaCode::parse(&m).unwrap(),
                    facility: FacilityId::parse(&f).unwrap(),
                    name,
                    kmps: kmps
                        .into_iter()
                        .map(|(k, (flow, description))| KmpDeclaration {
                            kmp: KmpCode::parse(&k).unwrap(),
                            kind: if flow {
                                KmpKind::Flow
                            } else {
                                KmpKind::Inventory
                            },
                            description,
                        })
                        .collect(),
                })
            }),
        (mba(), date(), any::<u32>()).prop_map(|(m, d, n)| {
            Payload::InventoryTaking(InventoryTaking {
                mba: MbaCode::parse(&m).unwrap(),
                pit_date: d,
                line_count: n,
            })
        }),
        (text(), text(), text(), grams(), 0.0..=1.0f64, 0.0..=1.0f64).prop_map(
            |(mba, kmp, batch, g, r, s)| {
                Payload::Measurement(Measurement {
                    mba,
                    kmp,
                    batch,
                    element: Element::Pu,
                    element_grams: g,
                    rsd_random: r,
                    rsd_systematic: s,
                })
            }
        ),
        (id(), text(), id(), state(), state()).prop_map(|(i, t, s, c, k)| {
            Payload::ItemProduce(custodian_core::event::ItemProduce {
                item: ItemId::parse(&i).unwrap(),
                item_type: t,
                site: SiteId::parse(&s).unwrap(),
                custodian: c,
                controller: k,
                status: ItemStatus::Retired,
            })
        }),
    ]
}

fn event(actor: ActorId) -> impl Strategy<Value = Event> {
    (
        id(),
        0i64..4_000_000_000,
        payload(),
        proptest::collection::vec((id(), any::<[u8; 32]>()), 0..3),
    )
        .prop_map(move |(eid, t, payload, approvals)| Event {
            id: EventId::parse(&eid).unwrap(),
            time: UtcTime::from_unix_seconds(t).unwrap(),
            actor: actor.clone(),
            payload,
            approvals: approvals
                .into_iter()
                .map(|(a, b)| {
                    let mut sig = [0u8; 64];
                    sig[..32].copy_from_slice(&b);
                    Approval {
                        actor: ActorId::parse(&a).unwrap(),
                        signature: Signature(sig),
                    }
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn events_round_trip(e in event(ActorId::parse("xaa-officer-1").unwrap())) {
        let back = Event::from_json(e.to_json()).unwrap();
        prop_assert_eq!(&back, &e);
        let bytes = custodian_core::canonical::to_canonical_bytes(&e.to_json()).unwrap();
        let reparsed = custodian_core::canonical::parse_strict(std::str::from_utf8(&bytes).unwrap()).unwrap();
        prop_assert_eq!(Event::from_json(reparsed).unwrap(), e);
    }

    /// The direct canonical writer (the hot path) and the reference RFC 8785
    /// writer over `Value` give the same bytes for events, approval messages,
    /// leaves and signing bytes; and cutting the signature out of a leaf gives
    /// exactly the signing bytes.
    #[test]
    fn fast_encodings_equal_the_reference(
        events in proptest::collection::vec(event(ActorId::parse("xaa-officer-1").unwrap()), 1..4),
        seq in 1u64..1_000_000,
    ) {
        use custodian_core::canonical::to_canonical_bytes;
        let mut ids = std::collections::BTreeSet::new();
        let events: Vec<Event> = events.into_iter().filter(|e| ids.insert(e.id.clone())).collect();
        for e in &events {
            prop_assert_eq!(e.canonical_bytes().unwrap(), to_canonical_bytes(&e.to_json()).unwrap());
            let mut body = e.to_json();
            body.as_object_mut().unwrap().remove("approvals");
            let mut want = custodian_core::event::APPROVAL_CONTEXT.to_vec();
            want.extend(to_canonical_bytes(&body).unwrap());
            prop_assert_eq!(e.approval_message().unwrap(), want);
        }
        let signed = SignedSubmission {
            submission: Submission { log: "custodian.test/log".into(), actor: ActorId::parse("xaa-officer-1").unwrap(), seq, events },
            signature: Signature([0xa5; 64]),
        };
        let leaf = signed.leaf_bytes().unwrap();
        prop_assert_eq!(&leaf, &to_canonical_bytes(&signed.to_json()).unwrap());
        let mut want = custodian_core::submission::SUBMISSION_CONTEXT.to_vec();
        want.extend(to_canonical_bytes(&signed.submission.to_json()).unwrap());
        prop_assert_eq!(signed.submission.signing_bytes().unwrap(), want.clone());
        prop_assert_eq!(SignedSubmission::signing_bytes_of_leaf(&leaf), Some(want));
    }

    #[test]
    fn signed_submissions_round_trip_through_leaf_bytes(
        events in proptest::collection::vec(event(ActorId::parse("xaa-officer-1").unwrap()), 1..6),
        seq in 1u64..1_000_000,
        sig in any::<[u8; 32]>(),
    ) {
        let mut ids = std::collections::BTreeSet::new();
        let events: Vec<Event> = events.into_iter().filter(|e| ids.insert(e.id.clone())).collect();
        let mut signature = [0u8; 64];
        signature[32..].copy_from_slice(&sig);
        let signed = SignedSubmission {
            submission: Submission { log: "custodian.test/log".into(), actor: ActorId::parse("xaa-officer-1").unwrap(), seq, events },
            signature: Signature(signature),
        };
        let leaf = signed.leaf_bytes().unwrap();
        let back = SignedSubmission::from_leaf_bytes(&leaf).unwrap();
        prop_assert_eq!(&back, &signed);
        prop_assert_eq!(back.leaf_bytes().unwrap(), leaf);
    }

    /// Any byte flipped in a leaf either fails to parse or gives different
    /// signed bytes (so the signature check catches it).
    #[test]
    fn flipped_leaf_bytes_never_parse_to_the_same_signed_content(
        e in event(ActorId::parse("xaa-officer-1").unwrap()),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let signed = SignedSubmission {
            submission: Submission { log: "custodian.test/log".into(), actor: ActorId::parse("xaa-officer-1").unwrap(), seq: 1, events: vec![e] },
            signature: Signature([7; 64]),
        };
        let mut leaf = signed.leaf_bytes().unwrap();
        let i = position.index(leaf.len());
        leaf[i] ^= 1 << bit;
        if let Ok(other) = SignedSubmission::from_leaf_bytes(&leaf) {
            prop_assert!(
                other.submission.signing_bytes().unwrap() != signed.submission.signing_bytes().unwrap()
                    || other.signature != signed.signature
            );
        }
    }
}

#[test]
fn non_canonical_leaves_are_refused() {
    let text = r#"{"actor":"a","events":[{"actor":"a","approvals":[],"id":"e","kind":"item.arrive","payload":{"item":"w","site":"s"},"time":"2026-01-01T00:00:00Z","v":1}],"log":"l","seq":1,"signature":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==","v":1}"#;
    assert!(SignedSubmission::from_leaf_bytes(text.as_bytes()).is_ok());
    let spaced = text.replacen(":", ": ", 1);
    let err = SignedSubmission::from_leaf_bytes(spaced.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("not in RFC 8785 canonical form"),
        "{err}"
    );
    let reordered = text
        .replacen(r#"{"actor":"a","events""#, r#"{"events""#, 1)
        .replacen(r#""log":"l""#, r#""log":"l","actor":"a""#, 1);
    assert!(SignedSubmission::from_leaf_bytes(reordered.as_bytes()).is_err());
}

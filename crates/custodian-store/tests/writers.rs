//! Two writers on one store: a `Log` opened before another writer's append
//! must judge its next submission by the registry as the store holds it, not
//! as it was when the `Log` was opened (a revoked key stays revoked). On the
//! store the suite runs on (`CUSTODIAN_TEST_STORE`, `custodian_store::testing`).

mod common;

use common::{actor, world_at, TempDir, World};
use custodian_core::event::ActorRevoke;
use custodian_core::Payload;
use custodian_store::any::AnyStore;
use custodian_store::log::{AppendError, Log};
use custodian_store::testing::TestTarget;

#[test]
fn a_revocation_by_another_writer_counts_at_the_next_append() {
    let dir = TempDir::new("writers");
    let target = TestTarget::new("writers", &dir.path("log.db"));
    let mut world = world_at(target.target());
    // A second writer, opened now: its registry has xaa-officer-1 valid.
    let mut other = Log::open(AnyStore::open(target.target()).unwrap()).unwrap();
    let revoke = world.sign(
        "admin",
        vec![Payload::ActorRevoke(ActorRevoke {
            actor: actor("xaa-officer-1"),
            reason: "key lost".into(),
            compromised_since: None,
        })],
        &[],
    );
    world.append(&[revoke]);
    let late = world.sign("xaa-officer-1", vec![World::site(1)], &[]);
    let e = other.append(&[late], &world.log_key).unwrap_err();
    assert!(matches!(e, AppendError::Rejected { .. }), "{e}");
    assert!(e.to_string().contains("revoked"), "{e}");
    // And a registration by the first writer lets the new actor append through the second.
    let ok = world.sign("xaa-officer-2", vec![World::site(2)], &[]);
    other.append(&[ok], &world.log_key).unwrap();
    custodian_store::audit::audit(other.store(), None, |_, _| {}).unwrap();
}

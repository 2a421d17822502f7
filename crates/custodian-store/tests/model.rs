//! State-machine property test (STYLE §7, proptest "state machine" chapter) on a
//! real SQLite log: the model and its checks are in `model_harness`, shared with
//! the PostgreSQL store's tests, which run it on PostgreSQL
//! (`postgres.rs`, `the_log_follows_the_model`), so this one stays on SQLite.

mod common;
mod model_harness;

use common::TempDir;
use custodian_store::sqlite::SqliteStore;
use model_harness::{check_model, meta, op};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_log_follows_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = TempDir::new("model");
        let store = SqliteStore::create(&dir.path("model.db"), &meta()).expect("create");
        check_model(store, &ops)?;
    }
}

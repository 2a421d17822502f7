//! Builders shared by the custody engine's tests.
#![allow(dead_code)]

use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{ActorId, StateCode, UtcTime};
use custodian_ledger::keys::SigningKey;

pub fn t(s: &str) -> UtcTime {
    UtcTime::parse(s).expect("valid time")
}
pub fn site(s: &str) -> SiteId {
    SiteId::parse(s).expect("valid site id")
}
pub fn item(s: &str) -> ItemId {
    ItemId::parse(s).expect("valid item id")
}
pub fn st(s: &str) -> StateCode {
    StateCode::parse(s).expect("valid state code")
}
pub fn actor(s: &str) -> ActorId {
    ActorId::parse(s).expect("valid actor id")
}

/// A deterministic key per name, so failures reproduce.
pub fn key(name: &str) -> SigningKey {
    let mut seed = [0u8; 32];
    for (i, b) in format!("custody test {name}").bytes().enumerate() {
        seed[i % 32] = seed[i % 32].rotate_left(3) ^ b;
    }
    SigningKey::from_seed(name, seed).expect("valid key name")
}

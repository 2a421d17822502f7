//! The inspection sample: `n` distinct leaf indices drawn from a public
//! 32-byte seed (e.g. the root of a log checkpoint made after the commitment
//! was logged, so that neither side could choose it), reproducible by anyone.
//!
//! # Draw
//!
//! ```text
//! block_c = SHA-256(lp("custodian/escrow/v1/sample") || seed[32]
//!                   || commitment_digest[32] || u64 N || u64 c)     c = 0, 1, 2, …
//! words   = each block split into four u64 (big-endian), blocks in order
//! uniform(m), 0 < m ≤ N:  rem = 2^64 mod m; take the next word w;
//!                         reject it if w ≥ 2^64 − rem, else return w mod m
//! indices: a = [0, 1, …, N−1]; for t = 0 … n−1:
//!              j = t + uniform(N − t); swap a[t], a[j]; output a[t]
//! ```
//!
//! The last step is the first `n` steps of the Fisher–Yates shuffle in
//! Durstenfeld's form (Knuth, TAOCP vol. 2, §3.4.2, Algorithm P), kept sparse
//! so that memory is O(n), not O(N). Rejection makes every `uniform(m)` exactly
//! uniform, so every n-subset is equally likely (given SHA-256 as a random
//! oracle). The draw of `n` is the first `n` indices of the draw of `n + 1`,
//! so a sample can be extended. The commitment digest is in every block, so a
//! sample drawn for one commitment is not a sample for another.

use crate::encoding::{hash_lp, TAG_SAMPLE};
use crate::error::EscrowError;
use custodian_ledger::Hash;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The SHA-256 counter-mode word stream of the draw.
struct WordStream<'a> {
    seed: &'a [u8; 32],
    digest: &'a Hash,
    entries: u64,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl WordStream<'_> {
    fn next_word(&mut self) -> u64 {
        if self.used == 4 {
            let mut h = Sha256::new();
            hash_lp(&mut h, TAG_SAMPLE);
            h.update(self.seed);
            h.update(self.digest.0);
            h.update(self.entries.to_be_bytes());
            h.update(self.counter.to_be_bytes());
            self.block = h.finalize().into();
            self.counter += 1;
            self.used = 0;
        }
        let mut w = [0u8; 8];
        w.copy_from_slice(&self.block[8 * self.used..8 * self.used + 8]);
        self.used += 1;
        u64::from_be_bytes(w)
    }

    /// A uniform integer in `[0, m)`, `m > 0`, by rejection.
    fn uniform(&mut self, m: u64) -> u64 {
        debug_assert!(m > 0, "bad math in uniform");
        // 2^64 mod m, computed without 128-bit arithmetic.
        let rem = (u64::MAX % m + 1) % m;
        loop {
            let w = self.next_word();
            // Accept w < 2^64 − rem, the largest multiple of m that fits.
            if rem == 0 || w < rem.wrapping_neg() {
                return w % m;
            }
        }
    }
}

/// Draws `n` distinct leaf indices out of `entries` from `seed`, for the
/// commitment with digest `commitment_digest` (module docs). The indices come
/// in draw order.
pub fn draw_sample(
    commitment_digest: &Hash,
    entries: u64,
    seed: &[u8; 32],
    n: u64,
) -> Result<Vec<u64>, EscrowError> {
    if n > entries {
        return Err(EscrowError::Request(format!(
            "a sample of {n} entries cannot be drawn from a declaration of {entries}"
        )));
    }
    let mut stream = WordStream {
        seed,
        digest: commitment_digest,
        entries,
        counter: 0,
        block: [0; 32],
        used: 4,
    };
    // a[x] = moved.get(x) or x: the sparse Fisher–Yates array.
    let mut moved: HashMap<u64, u64> = HashMap::new();
    let mut out = Vec::with_capacity(n as usize);
    for t in 0..n {
        let j = t + stream.uniform(entries - t);
        let at_t = moved.get(&t).copied().unwrap_or(t);
        let at_j = moved.get(&j).copied().unwrap_or(j);
        moved.insert(j, at_t);
        moved.insert(t, at_j);
        out.push(at_j);
    }
    Ok(out)
}

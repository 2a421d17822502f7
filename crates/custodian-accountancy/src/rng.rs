//! A small, documented, reproducible random number generator for the
//! Monte-Carlo computations of this crate.
//!
//! - **Uniform bits**: xoshiro256++ (Blackman and Vigna, "Scrambled linear
//!   pseudorandom number generators", ACM TOMS 47(4), 2021; reference code
//!   `xoshiro256plusplus.c`), period 2²⁵⁶ − 1.
//! - **Seeding**: the 256-bit state is four successive outputs of SplitMix64
//!   (Steele, Lea and Flood, OOPSLA 2014) started at the 64-bit seed, as the
//!   xoshiro authors recommend.
//! - **Independent streams**: [`Xoshiro256PlusPlus::jump`] advances by 2¹²⁸
//!   outputs, so stream c (the c-th jump from the seeded state) never
//!   overlaps another in any feasible run.
//! - **Uniform (0, 1)**: the top 53 bits, `(x >> 11) · 2⁻⁵³`, in [0, 1).
//! - **Standard normals**: Marsaglia's polar method (Marsaglia and Bray,
//!   SIAM Review 6(3), 1964): draw u, v uniform on (−1, 1) until
//!   0 < s = u² + v² < 1, then `u·sqrt(−2 ln s / s)` and `v·sqrt(−2 ln s / s)`
//!   are independent N(0, 1); the second is kept for the next call.
//!
//! Same seed, same numbers, on every platform: integer arithmetic, IEEE-754
//! `sqrt` (correctly rounded) and the `ln` of the pure-Rust `libm` crate
//! rather than the platform's, so that no last-bit difference between C
//! libraries can change a Monte-Carlo result.

/// SplitMix64, used only to expand a 64-bit seed into a xoshiro state.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Starts at `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoshiro256++ with a cached second normal deviate (see the module docs).
#[derive(Clone, Debug)]
pub struct Xoshiro256PlusPlus {
    state: [u64; 4],
    spare_normal: Option<f64>,
}

impl Xoshiro256PlusPlus {
    /// Seeds the state with four SplitMix64 outputs from `seed`.
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut expander = SplitMix64::new(seed);
        let state = [
            expander.next_u64(),
            expander.next_u64(),
            expander.next_u64(),
            expander.next_u64(),
        ];
        Self::from_state(state)
    }

    /// Uses `state` as is. It must not be all zeros (the one state the
    /// generator cannot leave); an all-zero state is replaced by the seeded
    /// state of 0.
    pub fn from_state(state: [u64; 4]) -> Self {
        if state == [0; 4] {
            return Self::seed_from_u64(0);
        }
        Self {
            state,
            spare_normal: None,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Advances the state by 2¹²⁸ outputs (the reference `jump()`), and
    /// drops any cached normal deviate.
    pub fn jump(&mut self) {
        const JUMP: [u64; 4] = [
            0x180e_c6d3_3cfd_0aba,
            0xd5a6_1266_f0c9_392c,
            0xa958_2618_e03f_c9aa,
            0x39ab_dc45_29b1_661c,
        ];
        let mut jumped = [0_u64; 4];
        for word in JUMP {
            for bit in 0..64 {
                if word & (1_u64 << bit) != 0 {
                    for (acc, s) in jumped.iter_mut().zip(self.state) {
                        *acc ^= s;
                    }
                }
                self.next_u64();
            }
        }
        self.state = jumped;
        self.spare_normal = None;
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
    }

    /// A standard normal deviate by Marsaglia's polar method.
    pub fn next_standard_normal(&mut self) -> f64 {
        if let Some(spare) = self.spare_normal.take() {
            return spare;
        }
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * libm::log(s) / s).sqrt();
                self.spare_normal = Some(v * factor);
                return u * factor;
            }
        }
    }
}

//! The review cycle's bundled data: the two CSV files of `data/` this crate owns,
//! compiled into the binary, beside the registry's `review_conferences.csv` and
//! `forces.csv` (bundled by `custodian-regime`). `data/SOURCES.md` documents them.

/// data/review_prepcoms.csv
pub const PREPCOMS: &str = include_str!("../../../data/review_prepcoms.csv");
/// data/review_commitments.csv
pub const COMMITMENTS: &str = include_str!("../../../data/review_commitments.csv");
/// data/review_conferences.csv (the registry's file, re-exported).
pub const REVIEW_CONFERENCES: &str = custodian_regime::bundled::REVIEW_CONFERENCES;

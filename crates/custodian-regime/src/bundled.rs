//! The bundled data: the CSV files of `data/` (copied byte for byte from the sourced
//! set, see `data/SOURCES.md`), compiled into the binary so that every build carries
//! the same registry.

use crate::data::DataFiles;

/// data/states.csv
pub const STATES: &str = include_str!("../../../data/states.csv");
/// data/treaties.csv
pub const TREATIES: &str = include_str!("../../../data/treaties.csv");
/// data/memberships.csv
pub const MEMBERSHIPS: &str = include_str!("../../../data/memberships.csv");
/// data/ctbt_annex2.csv
pub const CTBT_ANNEX2: &str = include_str!("../../../data/ctbt_annex2.csv");
/// data/forces.csv
pub const FORCES: &str = include_str!("../../../data/forces.csv");
/// data/deployments.csv
pub const DEPLOYMENTS: &str = include_str!("../../../data/deployments.csv");
/// data/review_conferences.csv
pub const REVIEW_CONFERENCES: &str = include_str!("../../../data/review_conferences.csv");
/// data/positions.csv
pub const POSITIONS: &str = include_str!("../../../data/positions.csv");
/// data/treaty_counts.csv
pub const TREATY_COUNTS: &str = include_str!("../../../data/treaty_counts.csv");
/// data/SOURCES.md: what each file holds, its sources, its known gaps.
pub const SOURCES_MD: &str = include_str!("../../../data/SOURCES.md");

/// All nine files.
pub const FILES: DataFiles<'static> = DataFiles {
    states: STATES,
    treaties: TREATIES,
    memberships: MEMBERSHIPS,
    ctbt_annex2: CTBT_ANNEX2,
    forces: FORCES,
    deployments: DEPLOYMENTS,
    review_conferences: REVIEW_CONFERENCES,
    positions: POSITIONS,
    treaty_counts: TREATY_COUNTS,
};

//! Command-line arguments and dispatch.

use crate::{
    accountancycmd, complycmd, demo, escrowcmd, itemcmd, keyfile, logcmd, merklecmd, regimecmd,
    reviewcmd, scenario, CmdResult,
};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  error: bad input, a refused submission, a missing file (nothing was applied)
  2  the command line is wrong
  3  verification failed: the audit found a change, or a proof or checkpoint does not verify

Start with `custodian demo`; then explore ./custodian-demo.db with
`custodian --db custodian-demo.db log head`, `... actor list`, `... log entries`.";

/// Custodian keeps a tamper-evident record of nuclear weapons and weapons-usable
/// material, that anyone holding the log's public key can check offline.
#[derive(Parser, Debug)]
#[command(name = "custodian", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The log: an SQLite file, or a PostgreSQL URL `postgres://...` [default:
    /// custodian.db; for `demo`: custodian-demo.db].
    ///
    /// Created by `custodian init`; every other command reads it. A file path
    /// is the embedded SQLite store. A `postgres://` or `postgresql://` URL (a
    /// libpq connection string, e.g.
    /// `postgres://custodian:PASSWORD@127.0.0.1:5432/custodian`, with
    /// `?options=-csearch_path%3DSCHEMA` to keep the log in a schema of its
    /// own) is a log shared by many writers; messages never show its
    /// password. The demo and the bundled scenarios write SQLite files only.
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub db: Option<PathBuf>,

    /// The log's signing key file [default: the database path + `.logkey`;
    /// for a PostgreSQL log: custodian.logkey].
    ///
    /// Written by `init` with mode 0600; `init` refuses to overwrite one. Only
    /// commands that append (and `serve`) need it. For a PostgreSQL log the
    /// default is `custodian.logkey` in the working directory.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_key: Option<PathBuf>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The `--db` value in force, a path or a URL: for messages, use
    /// [`Cli::db_target`], whose `Display` hides a URL's password.
    pub fn db_path(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| PathBuf::from("custodian.db"))
    }

    /// Where the log lives: `--db` as a file path, or a `postgres://` URL.
    pub fn db_target(&self) -> custodian_store::any::Target {
        custodian_store::any::Target::parse(&self.db_path())
    }

    /// Whether there may be a log to read: the file exists, or `--db` is a
    /// PostgreSQL URL (whose log is known only by connecting to it).
    pub fn log_may_exist(&self) -> bool {
        self.db_target().file().is_none_or(|f| f.exists())
    }

    /// The log key path in force: --log-key, or the database path + `.logkey`
    /// (for a PostgreSQL log, `custodian.logkey` in the working directory).
    pub fn log_key_path(&self) -> PathBuf {
        self.log_key
            .clone()
            .unwrap_or_else(|| match self.db_target() {
                custodian_store::any::Target::File(db) => log_key_beside(&db),
                custodian_store::any::Target::Postgres(_) => PathBuf::from("custodian.logkey"),
            })
    }
}

/// The default log key path for a database: `<db>.logkey`.
pub fn log_key_beside(db: &std::path::Path) -> PathBuf {
    let mut p = db.to_path_buf().into_os_string();
    p.push(".logkey");
    PathBuf::from(p)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new log: the database, the log's signing key and its first
    /// administrator; prints the log's verifier key (keep it: audits pin it).
    Init(InitArgs),
    /// Generate an actor's Ed25519 key pair.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Register, list and revoke actors (people or systems acting for a state or body).
    #[command(subcommand)]
    Actor(ActorCommand),
    /// Append to, read and prove the log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Re-read the whole database and verify every signature, sequence number,
    /// hash and checkpoint. Exit code 3 if anything was changed.
    Audit(AuditArgs),
    /// Run the bundled scenario on a fresh database and show each check.
    Demo(DemoArgs),
    /// Serve the log over HTTP: the web UI at /, and JSON under /api/v1/ —
    /// the registry, items, findings, accountancy and escrow views,
    /// checkpoints, entries, inclusion and consistency proofs, signed
    /// submissions — the OpenAPI document at /openapi.json, and the log as
    /// C2SP tlog-tiles under /tile/. Stop with Ctrl-C.
    Serve(ServeArgs),
    /// The treaty registry (states, treaties, memberships, forces, deployments) as
    /// of any date, rebuilt from the log, every contested fact answered per reading.
    #[command(subcommand)]
    Regime(RegimeCommand),
    /// One item's state (as of any time) or its history.
    #[command(subcommand)]
    Item(ItemCommand),
    /// The items of the record as of a time, by state, custodian or controller.
    Items(ItemsArgs),
    /// What the record itself raises: overdue transits, arrivals elsewhere,
    /// custody and control that differ, signatures by compromised keys, items
    /// in two places at once.
    Alerts {
        /// As of this date (end of day, UTC) or time [default: now].
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
    },
    /// Evaluate treaty obligations over the record under every interpretation:
    /// verdicts with their evidence and reasoning.
    Comply(ComplyArgs),
    /// States' stated positions on a contested question, by reading and year
    /// (no QUESTION: list the questions).
    Positions {
        /// The question's id, e.g. `nuclear-sharing`.
        question: Option<String>,
    },
    /// Check an evidence bundle written by `comply --evidence`, offline.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Run a bundled scenario on a fresh database.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Nuclear material accountancy: balance statistics.
    #[command(subcommand)]
    Accountancy(AccountancyCommand),
    /// Declarations in escrow: commit to everything, reveal step by step,
    /// sample, prove totals within limits, catch what was left out.
    #[command(subcommand)]
    Escrow(EscrowCommand),
    /// The NPT review cycle: conferences, preparatory committees, outcomes and
    /// commitments with sources; states' standard reports (custodian/npt-report/v1)
    /// as signed review.report events; completeness, comparison and summaries.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// RFC 9162 Merkle computations on a file of hex-encoded leaves, one per line,
    /// for checks against other implementations. Prints JSON.
    #[command(subcommand)]
    Merkle(MerkleCommand),
    /// Publish the log as static files for a web server, object store or CDN.
    #[command(subcommand)]
    Export(ExportCommand),
}

#[derive(Args, Debug)]
pub struct ComplyArgs {
    /// Only this obligation (e.g. `npt-art-1`) [default: all].
    #[arg(long, value_name = "ID")]
    pub obligation: Option<String>,
    /// Only this interpretation, or `all` [default: all].
    #[arg(long, value_name = "ID")]
    pub interpretation: Option<String>,
    /// As of this date (end of day, UTC) or time [default: now].
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Also write the findings with the signed checkpoint and an inclusion
    /// proof of every event they cite, for `custodian evidence verify`.
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ReportKind {
    /// Inventory Change Report: the lines entered in a period.
    Icr,
    /// Physical Inventory Listing: the lines of one inventory taking.
    Pil,
    /// Material Balance Report: PB, increases, decreases, BA, PE, MF.
    Mbr,
}

#[derive(Subcommand, Debug)]
pub enum AccountancyCommand {
    /// The Page-on-SITMUF alarm threshold h for a false-alarm probability over
    /// a sequence of balances: exact, and by seeded Monte Carlo with --runs.
    Threshold {
        /// Balances in the sequence (e.g. 12 for a year of monthly balances).
        #[arg(long)]
        balances: usize,
        /// Page's reference value k.
        #[arg(long, default_value_t = 0.5)]
        k: f64,
        /// False-alarm probability over the whole sequence.
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Monte-Carlo runs (0: the exact value only).
        #[arg(long, default_value_t = 0)]
        runs: usize,
        /// The Monte-Carlo seed (results are reproducible from it).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads (the result does not depend on them) [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// A report of one material balance area generated from the log and bound to
    /// a signed checkpoint (the latest, or the one at --size): ICR and MBR for
    /// --from/--to, PIL for --pit.
    Report {
        /// icr, pil or mbr.
        #[arg(value_parser = ["icr", "pil", "mbr"])]
        kind: String,
        /// The material balance area code.
        #[arg(long)]
        mba: String,
        /// First day of the period (ICR, MBR).
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// Last day of the period (ICR, MBR; for an MBR, the ending taking's date).
        #[arg(long, value_name = "DATE")]
        to: Option<String>,
        /// The inventory taking's date (PIL).
        #[arg(long, value_name = "DATE")]
        pit: Option<String>,
        /// Bind to the stored checkpoint of this tree size.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Evaluate a sequence of material balances given directly (JSON, see
    /// docs/FORMATS.md "Balance sequences"): MUF, sigma MUF, the covariance and
    /// its Cholesky factor, CUMUF, SITMUF, Page's test and GEMUF-V1.
    Evaluate {
        /// The JSON file of streams.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "mba",
            required_unless_present = "mba"
        )]
        balances: Option<PathBuf>,
        /// Instead of --balances: the MBA whose balances between its closed
        /// physical inventory takings are read from the log (uncertainties
        /// from its material.measurement events); alarms are printed as
        /// findings with their evidence.
        #[arg(long, value_name = "CODE")]
        mba: Option<String>,
        /// With --mba: the amount balanced, element or u235.
        #[arg(long, value_name = "WHAT", default_value = "element", requires = "mba")]
        quantity: String,
        /// With --mba: the earliest closed taking to use (the balances start
        /// the day after it).
        #[arg(long, value_name = "DATE", requires = "mba")]
        from: Option<String>,
        /// With --mba: the latest closed taking to use (the last balance ends there).
        #[arg(long, value_name = "DATE", requires = "mba")]
        to: Option<String>,
        /// With --mba: Page's false-alarm probability over the sequence (h is
        /// the exact threshold for its length, k = 0.5).
        #[arg(long, value_name = "A", default_value_t = 0.05, requires = "mba")]
        alpha: f64,
        /// Whether to print the n x n covariance and Cholesky factor: auto (up to
        /// 100 balances), include or omit.
        #[arg(long, value_name = "WHEN")]
        matrices: Option<String>,
    },
    /// The bundled LEU fuel fabrication plant: a year of monthly balances
    /// without loss, with one SQ diverted over the year, and with one SQ
    /// diverted in month 7; then each variant's alarm rate over many years.
    Scenario {
        /// The seed of the measurement errors of the year shown.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Simulated years per variant for the alarm rates (0: skip).
        #[arg(long, default_value_t = 2000)]
        runs: usize,
        /// Instead: record the year of this variant (none, protracted or
        /// abrupt) as ledger events in a log of its own (--db, default
        /// custodian-scenario-fuel-fab.db), signed by the plant's operator,
        /// and evaluate MBA XFF1 from the log: alarms become findings with
        /// their evidence.
        #[arg(long, value_name = "VARIANT", value_parser = ["none", "protracted", "abrupt"])]
        ledger: Option<String>,
    },
    /// Write the charts a safeguards analyst reads, each as SVG and PNG (900 x
    /// 500): muf (MUF per balance with +/-2 and +/-3 sigma MUF), cumuf (CUMUF and
    /// its +/-3 sigma band about zero) and sitmuf-page (SITMUF, Page's statistic
    /// and its threshold h, alarms marked). Prints the paths written.
    #[command(group(clap::ArgGroup::new("input").required(true).args(["balances", "scenario"])))]
    Plot {
        /// The JSON file of streams to evaluate (as for `evaluate`).
        #[arg(long, value_name = "FILE")]
        balances: Option<PathBuf>,
        /// A year of the bundled fuel fabrication plant instead: none,
        /// protracted or abrupt (see `custodian accountancy scenario`).
        #[arg(long, value_name = "VARIANT", value_parser = ["none", "protracted", "abrupt"])]
        scenario: Option<String>,
        /// The seed of the scenario's measurement errors [default: 1].
        #[arg(long, requires = "scenario", conflicts_with = "balances")]
        seed: Option<u64>,
        /// The directory to write into (created if missing); existing charts
        /// of the same names are replaced.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Import a report filed in the EU/UK labelled format (docs/FORMATS.md
    /// §3.2): an ICR's or PIL's lines become ledger events; an MBR is checked
    /// line by line against the ledger's own balance. A material.report event
    /// binds the report's number, header and CRCs; all is signed by --key in
    /// one submission, and if anything is refused nothing is applied.
    Import {
        /// The labelled file.
        file: PathBuf,
        /// The submitting actor's key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// How line CRCs are treated: crc64-xz-provisional (each must be
        /// Custodian's provisional CRC-64/XZ of the line) or carry (kept as
        /// filed, for CRCs of the regulator's own algorithm).
        #[arg(long, default_value = "crc64-xz-provisional", value_parser = ["crc64-xz-provisional", "carry"])]
        crc: String,
    },
    /// Write a filed report in the labelled format again from the log: the
    /// same bytes as were filed.
    Export {
        /// The material balance area code.
        #[arg(long)]
        mba: String,
        /// The report number.
        #[arg(long)]
        report: u32,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum EscrowCommand {
    /// Commit to a complete declaration (JSON, docs/FORMATS.md §15) without
    /// revealing it: the commitment is logged, signed by --key and co-signed
    /// by every --approve (escrow.commit needs two of the declaring state);
    /// the declaration with its salts goes to the encrypted --secret file.
    Commit {
        /// The declaration.
        file: PathBuf,
        /// Its id in the log.
        #[arg(long)]
        declaration: String,
        /// The declaring state.
        #[arg(long)]
        state: String,
        /// The date it is complete as of.
        #[arg(long, value_name = "DATE")]
        as_of: String,
        /// What it claims to hold in full.
        #[arg(long)]
        scope: String,
        /// The submitting actor's key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// A co-signer's key (repeatable).
        #[arg(long, value_name = "KEY")]
        approve: Vec<PathBuf>,
        /// Where to write the encrypted declaration (never overwritten).
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Its 32-byte key file (created if missing).
        #[arg(long, value_name = "FILE")]
        secret_key: PathBuf,
    },
    /// Open part of a committed declaration and log it, after checking it
    /// against the logged commitment: a complete category or region, entries
    /// by key, or the answer to an inspector's challenge.
    Reveal {
        /// The declaration.
        #[arg(long)]
        declaration: String,
        /// The encrypted declaration.
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Its key file.
        #[arg(long, value_name = "FILE")]
        secret_key: PathBuf,
        /// The submitting actor's key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// A complete category ...
        #[arg(long)]
        category: Option<String>,
        /// ... or (category, region).
        #[arg(long, requires = "category")]
        region: Option<String>,
        /// An entry by CATEGORY/REGION/ID (repeatable).
        #[arg(long, value_name = "KEY")]
        entry: Vec<String>,
        /// Answer the challenge of this event id (a sample or a key).
        #[arg(long, value_name = "EVENT")]
        answer: Option<String>,
    },
    /// Ask of a committed declaration (an inspector): a random sample of N
    /// entries seeded by the root of a signed checkpoint after the commitment
    /// (the latest, or --size), or whether CATEGORY/REGION/ID is in it.
    Challenge {
        /// The declaration.
        #[arg(long)]
        declaration: String,
        /// The submitting actor's key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// The sample size.
        #[arg(long, value_name = "N", conflicts_with = "about")]
        sample: Option<u64>,
        /// The checkpoint whose root seeds the sample.
        #[arg(long, requires = "sample")]
        size: Option<u64>,
        /// A key: CATEGORY/REGION/ID.
        #[arg(long, value_name = "KEY")]
        about: Option<String>,
    },
    /// The sample of N entries drawn from the root of the checkpoint at tree
    /// size CHECKPOINT (verified with the log's key): reproducible by anyone.
    Sample {
        /// The declaration.
        #[arg(long)]
        declaration: String,
        /// The tree size of the signed checkpoint whose root is the seed.
        #[arg(long, value_name = "CHECKPOINT")]
        seed_from: u64,
        /// The sample size.
        #[arg(long)]
        n: u64,
    },
    /// Before an inspection: the exact probability that a sample finds a
    /// declaration wrong in R of N entries, and the sample size for a target.
    Plan {
        /// N, the committed entries.
        #[arg(long)]
        entries: u64,
        /// R, the wrong entries to catch.
        #[arg(long)]
        wrong: u64,
        /// The target detection probability.
        #[arg(long, default_value_t = 0.95)]
        target: f64,
    },
    /// Prove that a committed total (e.g. deployed_warheads) is at most
    /// --limit without revealing it, and log the proof.
    ProveTotal {
        /// The declaration.
        #[arg(long)]
        declaration: String,
        /// The measure.
        #[arg(long)]
        measure: String,
        /// The limit.
        #[arg(long)]
        limit: u64,
        /// The encrypted declaration.
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Its key file.
        #[arg(long, value_name = "FILE")]
        secret_key: PathBuf,
        /// The submitting actor's key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
    },
    /// Print the opening of a committed total (its value and blinding) as
    /// JSON, for the `bindings` of a review report; nothing is logged. Opening
    /// a total reveals it: the state does so when it reports it.
    OpenTotal {
        /// The declaration.
        #[arg(long)]
        declaration: String,
        /// The measure.
        #[arg(long)]
        measure: String,
        /// The encrypted declaration.
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Its key file.
        #[arg(long, value_name = "FILE")]
        secret_key: PathBuf,
    },
    /// Verify every commitment, reveal and total proof in the log against its
    /// commitment and print the findings (exit 3 if a reveal does not verify);
    /// --evidence writes them with each cited leaf's inclusion proof.
    Verify {
        /// Only this declaration.
        #[arg(long)]
        declaration: Option<String>,
        /// Write an evidence bundle.
        #[arg(long, value_name = "FILE")]
        evidence: Option<PathBuf>,
    },
    /// Verify the logged proofs that committed totals are within their limits.
    VerifyTotal {
        /// Only this declaration.
        #[arg(long)]
        declaration: Option<String>,
    },
    /// The bundled scenario in a log of its own (--db, default
    /// custodian-scenario-escrow.db): a declaration committed, revealed
    /// region by region, sampled, a total proven, and an undeclared site found.
    Scenario,
}

#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// Every review cycle 1975-2026: its conference, dates and outcome, sessions
    /// of its preparatory committee and commitments adopted.
    Cycles,
    /// One cycle: the conference and its outcome, the preparatory committee's
    /// sessions, the commitments adopted, each with sources; with a log (--db),
    /// who was due to report, who did and which fields they left not reported.
    Cycle {
        /// The cycle's year (2022 is taken as the 2020 cycle, whose conference met then).
        year: u16,
    },
    /// States' reports: submit one, show one.
    #[command(subcommand)]
    Report(ReviewReportCommand),
    /// A state's report compared field by field with its report of another
    /// cycle, and with the registry's published estimates (as estimates).
    Compare {
        /// The state (ISO 3166-1 alpha-3).
        state: String,
        /// The earlier cycle.
        earlier: u16,
        /// The later cycle.
        later: u16,
    },
    /// Write the cycle's summary to DIR: Markdown, CSV, a self-contained HTML
    /// page and open-data JSON, bound to the log's latest signed checkpoint.
    Summary {
        /// The cycle's year.
        year: u16,
        /// The directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the reporting schema custodian/npt-report/v1 (docs/FORMATS.md).
    Schema,
    /// The 2015 and 2020 (met 2022) cycles with illustrative reports from two
    /// nuclear-weapon States, one leaving fields not reported, in a log of
    /// their own (--db, default custodian-scenario-review.db); prints the
    /// completeness views.
    Scenario,
}

#[derive(Subcommand, Debug)]
pub enum ReviewReportCommand {
    /// Submit a report: a JSON file {"state", "cycle", "report"} becomes one
    /// review.report event signed by --key (an actor of that state) and
    /// appended, or nothing is applied.
    Submit {
        /// The JSON file.
        file: PathBuf,
        /// The submitting actor's signing key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
    },
    /// A state's latest report for a cycle, field by field, with the registry's
    /// estimates beside it.
    Show {
        /// The state (ISO 3166-1 alpha-3).
        state: String,
        /// The cycle's year.
        year: u16,
    },
}

#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Verify an evidence bundle against the log's verifier key: the checkpoint's
    /// signature, every inclusion proof, every cited event. Needs no database.
    Verify {
        /// The bundle.
        file: PathBuf,
        /// The log's verifier key (text or file).
        #[arg(long, value_name = "KEY")]
        vkey: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// List the bundled scenarios.
    List,
    /// Build a scenario's log (in custodian-scenario-NAME.db unless --db) and
    /// show its items, alerts and findings.
    Run {
        /// The scenario: `nato-sharing` or `covert-relocation`.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ItemCommand {
    /// An item's state: status, location, custodian, controller, deployment,
    /// assignment, each with the event that made it so.
    Show {
        /// The item id.
        id: String,
        /// As of this date (end of day, UTC) or time [default: now].
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
    },
    /// Every event about an item, in log order, with its leaf and signers.
    History {
        /// The item id.
        id: String,
    },
}

#[derive(Args, Debug)]
pub struct ItemsArgs {
    /// As of this date (end of day, UTC) or time [default: now].
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Only items on the territory of this state (ISO 3166-1 alpha-3).
    #[arg(long, value_name = "ISO3")]
    pub state: Option<String>,
    /// Only items in this state's custody.
    #[arg(long, value_name = "ISO3")]
    pub custodian: Option<String>,
    /// Only items under this state's control.
    #[arg(long, value_name = "ISO3")]
    pub controller: Option<String>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The log's origin: its name in checkpoints and the log key's name
    /// (e.g. `custodian.example.org/usa-ssac`).
    #[arg(long, default_value = "custodian.local/log")]
    pub origin: String,
    /// The first administrator's actor id.
    #[arg(long, default_value = "admin")]
    pub admin: String,
    /// Whom the administrator acts for: `state:ISO3` or `body:code`.
    #[arg(long, default_value = "body:operator")]
    pub admin_party: String,
    /// Where to write the administrator's signing key (default: ./<admin>.key).
    #[arg(long, value_name = "FILE")]
    pub admin_key_out: Option<PathBuf>,
    /// Do not register the `secretariat` actor nor load the bundled treaty registry.
    #[arg(long)]
    pub empty_registry: bool,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Write a new signing key for NAME (an actor id) and print its verifier key.
    Generate {
        /// The actor id the key is for.
        name: String,
        /// Where to write it (default: ./<name>.key); never overwritten.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ActorCommand {
    /// Register an actor (signed by an administrator).
    Add {
        /// The new actor's id.
        id: String,
        /// Its role: administrator, state_authority, operator, inspector, secretariat, observer.
        #[arg(long)]
        role: String,
        /// Whom it acts for: `state:ISO3` or `body:code`.
        #[arg(long)]
        party: String,
        /// Its verifier key (`name+id+base64`) or a file holding one, as printed by `key generate`.
        #[arg(long, value_name = "VKEY|FILE")]
        public_key: String,
        /// A human-readable name or post.
        #[arg(long)]
        name: Option<String>,
        /// The administrator's signing key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// List registered actors.
    List,
    /// Revoke an actor: it can sign and approve nothing afterwards.
    Revoke {
        /// The actor to revoke.
        id: String,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
        /// When the key is believed compromised (YYYY-MM-DDTHH:MM:SSZ), if
        /// earlier: what it signed from then on is raised by `custodian alerts`.
        #[arg(long, value_name = "TIME")]
        compromised_since: Option<String>,
        /// The administrator's signing key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Replace an actor's key (signed by an administrator).
    RotateKey {
        /// The actor.
        id: String,
        /// The new verifier key or a file holding it.
        #[arg(long, value_name = "VKEY|FILE")]
        public_key: String,
        /// The administrator's signing key file.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Append a JSON-lines file atomically: either events (one per line, signed
    /// here as one submission with --key) or pre-signed submissions (one per line).
    Append {
        /// The JSON-lines file (`-` for standard input).
        file: PathBuf,
        /// The submitting actor's signing key (needed for event lines).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Sign a JSON-lines file of events as one submission without appending it;
    /// prints the signed submission (one line) for `log append`.
    Sign {
        /// The JSON-lines file of events.
        file: PathBuf,
        /// The submitting actor's signing key.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The submission's sequence number (default: the actor's next, from the database).
        #[arg(long)]
        seq: Option<u64>,
        /// The log's origin (default: from the database).
        #[arg(long)]
        origin: Option<String>,
    },
    /// Add an approver's co-signature to each event of a JSON-lines file (events
    /// must carry their final id and time); prints the file with the approvals.
    Approve {
        /// The JSON-lines file of events.
        file: PathBuf,
        /// The approver's signing key.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Print the latest signed checkpoint (or the one at --size).
    Head {
        /// The tree size of a stored checkpoint.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Print the log's verifier key.
    Key,
    /// Print stored leaves as hex, one per line: exactly the bytes that were hashed.
    Entries {
        /// First leaf index (inclusive).
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Last leaf index (exclusive; default: the tree size).
        #[arg(long)]
        to: Option<u64>,
    },
    /// Prove that leaf INDEX (or the leaf holding --event) is in the tree of --size leaves.
    Prove {
        /// The leaf index.
        #[arg(required_unless_present = "event")]
        index: Option<u64>,
        /// Prove the leaf that holds this event id.
        #[arg(long, conflicts_with = "index")]
        event: Option<String>,
        /// The tree size (default: the current size).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Prove that the tree of OLD leaves is a prefix of the tree of NEW leaves.
    Consistency {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// Verify an inclusion proof offline, from files and the verifier key only.
    VerifyInclusion {
        /// The log's verifier key, or a file holding it.
        #[arg(long, value_name = "VKEY|FILE")]
        vkey: String,
        /// A signed checkpoint file (`log head`).
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// The proof file (`--json log prove`).
        #[arg(long, value_name = "FILE")]
        proof: PathBuf,
    },
    /// Verify a consistency proof offline, from files and the verifier key only.
    VerifyConsistency {
        /// The log's verifier key, or a file holding it.
        #[arg(long, value_name = "VKEY|FILE")]
        vkey: String,
        /// The older signed checkpoint file.
        #[arg(long, value_name = "FILE")]
        old: PathBuf,
        /// The newer signed checkpoint file.
        #[arg(long, value_name = "FILE")]
        new: PathBuf,
        /// The proof file (`--json log consistency`).
        #[arg(long, value_name = "FILE")]
        proof: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum RegimeCommand {
    /// Parties, signatories and non-parties of TREATY (NWS/NNWS for the NPT) at a date.
    Status {
        /// NPT, CTBT, TPNW, PTBT, Tlatelolco, Rarotonga, Bangkok, Pelindaba, Semipalatinsk.
        treaty: String,
        /// The date (YYYY-MM-DD; default: today).
        #[arg(long)]
        at: Option<String>,
    },
    /// Every treaty status of STATE (ISO 3166 alpha-3), its forces, deployments and positions.
    State {
        /// The state, e.g. DEU.
        state: String,
        /// The date (YYYY-MM-DD; default: today).
        #[arg(long)]
        at: Option<String>,
    },
    /// Whether TREATY is in force at a date, and what is still missing.
    InForce {
        /// The treaty.
        treaty: String,
        /// The date (YYYY-MM-DD; default: today).
        #[arg(long)]
        at: Option<String>,
    },
    /// Estimated warhead inventories per state and year, every row with its source.
    Forces {
        /// Only this year.
        #[arg(long)]
        at: Option<i32>,
    },
    /// Weapons deployed abroad (host state, site, custodian), estimates with sources.
    Deployments {
        /// As published by this date (YYYY-MM-DD).
        #[arg(long)]
        at: Option<String>,
    },
    /// The dated actions of STATE under TREATY, with sources.
    History {
        /// The state.
        state: String,
        /// The treaty.
        treaty: String,
    },
    /// Write the registry as it stands to DIR with a manifest bound to the latest checkpoint.
    Export {
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The directory to write.
        dir: PathBuf,
    },
    /// Append new rows of one table (a CSV file with the table's header), checked
    /// together with the registry, as one batch signed by a secretariat; or nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The table: memberships, forces, deployments, ...
        #[arg(long)]
        table: String,
        /// The secretariat's signing key.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// The verifier key you expect (as `init` printed it, or a file holding it).
    /// Without it the audit trusts the key stored in the database.
    #[arg(long, value_name = "VKEY|FILE")]
    pub vkey: Option<String>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Build the showcase log first and serve it: one log holding everything
    /// the demo shows (registry, items and sharing, a covert relocation, a
    /// fuel plant's accounts, a declaration in escrow, review reports).
    ///
    /// The database is --db if given, else custodian-demo.db; it is rebuilt
    /// from scratch each time, and the actors' keys are written beside it
    /// (`<db>.keys/`).
    #[arg(long)]
    pub demo: bool,
    /// The address to listen on.
    ///
    /// Use 0.0.0.0:PORT to accept connections from other machines; port 0
    /// picks a free port (printed).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
}

#[derive(Subcommand, Debug)]
pub enum MerkleCommand {
    /// Print the tree size and root.
    Root {
        /// File of hex-encoded leaf data, one leaf per line.
        file: PathBuf,
    },
    /// Print the inclusion proof of leaf --index.
    Inclusion {
        /// File of hex-encoded leaf data, one leaf per line.
        file: PathBuf,
        /// The leaf index.
        #[arg(long)]
        index: u64,
    },
    /// Print the consistency proof from the first --old leaves to the whole file.
    Consistency {
        /// File of hex-encoded leaf data, one leaf per line.
        file: PathBuf,
        /// The old tree size.
        #[arg(long)]
        old: u64,
    },
}

/// Runs the command.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write the log as static C2SP tlog-tiles into DIR: `checkpoint`,
    /// `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, at the latest
    /// checkpoint. Run it again after appends: it adds the new tiles, then the
    /// checkpoint, and never changes a file already written. Serve DIR as
    /// static files (docs/DEPLOYMENT.md). Exit code 3 if DIR holds another
    /// history of this log or a changed file.
    Tiles {
        /// The directory to write (created if missing).
        dir: PathBuf,
        /// Then read the whole directory back as a client would: every tile,
        /// every entry, and every leaf's inclusion proof, against the checkpoint.
        #[arg(long)]
        verify: bool,
    },
}

pub fn run(cli: Cli) -> CmdResult {
    match &cli.command {
        Command::Init(args) => logcmd::init(&cli, args),
        Command::Key(KeyCommand::Generate { name, out }) => {
            keyfile::generate(&cli, name, out.as_deref())
        }
        Command::Actor(cmd) => logcmd::actor(&cli, cmd),
        Command::Log(cmd) => logcmd::log(&cli, cmd),
        Command::Audit(args) => logcmd::audit(&cli, args),
        Command::Demo(_) => demo::run(&cli),
        Command::Serve(args) => crate::servecmd::run(&cli, args),
        Command::Regime(cmd) => regimecmd::run(&cli, cmd),
        Command::Merkle(cmd) => merklecmd::run(&cli, cmd),
        Command::Export(cmd) => crate::exportcmd::run(&cli, cmd),
        Command::Item(cmd) => itemcmd::item(&cli, cmd),
        Command::Items(args) => itemcmd::items(&cli, args),
        Command::Alerts { at } => itemcmd::alerts(&cli, at.as_deref()),
        Command::Comply(args) => complycmd::comply(&cli, args),
        Command::Positions { question } => complycmd::positions(&cli, question.as_deref()),
        Command::Evidence(EvidenceCommand::Verify { file, vkey }) => {
            complycmd::evidence_verify(&cli, file, vkey)
        }
        Command::Accountancy(cmd) => accountancycmd::run(&cli, cmd),
        Command::Review(cmd) => reviewcmd::run(&cli, cmd),
        Command::Escrow(cmd) => escrowcmd::run(&cli, cmd),
        Command::Scenario(ScenarioCommand::List) => scenario::list(&cli),
        Command::Scenario(ScenarioCommand::Run { name }) => scenario::run(&cli, name),
    }
}

//! Compliance at scale: every obligation under every interpretation over 100,000
//! items and 10 million events, and how time and memory grow from 1 million to
//! 10 million events (issue "compliance evaluation at scale"). Not run in CI (it
//! writes several gigabytes and takes a quarter of an hour); run
//!
//!     cargo bench -p custodian-regime --bench comply
//!
//! Environment, to shrink it for a smoke test:
//! `CUSTODIAN_COMPLY_EVENTS` (default 10,000,000: the sizes measured are 1 M, 2 M,
//! 5 M and 10 M events, those below it, and it), `CUSTODIAN_COMPLY_ITEMS`
//! (default 100,000), `CUSTODIAN_COMPLY_REPLAYS` (default 3) and
//! `CUSTODIAN_COMPLY_EVALUATIONS` (default 5).
//!
//! The log is a real SQLite log of signed submissions of 1,000 events each,
//! appended through `Log::append` (the registry's rules; no custody policy, so no
//! approvals). One state officer declares 60 sites (36 in the USA; 12 on air bases
//! and depots in the NATO host states BEL, DEU, ITA, NLD, TUR; 6 each in GBR and
//! FRA) and produces the items at them (88 % US items, a fifth of them declared at
//! host sites; the rest British and French items at home). Then the mix, with
//! event times one second apart: relocations (a departure, and the arrival 3,000
//! events later, within the declared window), deployments abroad of US items at
//! host sites, assignments to host (or home) delivery units, exercises with host
//! forces (one in five a multinational one with all five hosts), and rare custody
//! and control transfers to the host and back (control transfers to a host stated
//! to take effect upon a decision to go to war). A generator tracks every item's
//! site, transit, custodian and controller, so the custody engine accepts every
//! event.
//!
//! At each size a child process (so that peak RSS belongs to one size) measures
//! what `custodian comply` does: it streams the log through
//! `Log::for_each_submission` into `Custody::apply` (3 times), and beside it the
//! floor, the same stream with the events only counted (3 times); then it runs
//! `evaluate(registry, custody, at, None, None)` (5 times). It reports medians,
//! the RSS after the replay, the peak RSS of the replay and the peak overall
//! (`VmHWM`, reset between phases through `/proc/self/clear_refs`).
//!
//! Cargo passes `--bench` to a bench binary; without it (`cargo test --benches`)
//! this binary returns at once.

use custodian_core::event::{
    ActorRegister, ControlTransfer, CustodyTransfer, ItemArrive, ItemAssign, ItemDepart,
    ItemDeployAbroad, ItemExercise, ItemProduce, ItemStatus, SiteRegister,
};
use custodian_core::ids::{ItemId, SiteId};
use custodian_core::{
    ActorId, Date, Event, EventId, Party, Payload, Role, StateCode, Submission, UtcTime,
};
use custodian_custody::{Ceased, Custody};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::{public_key, sign_submission};
use custodian_regime::obligations::evaluate;
use custodian_regime::Registry;
use custodian_store::log::{genesis_submission, Log};
use custodian_store::sqlite::SqliteStore;
use custodian_store::{Meta, StoreError};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ORIGIN: &str = "custodian.bench/comply";
const OFFICER: &str = "usa-officer-1";
const EVENTS_PER_SUBMISSION: u64 = 1000;
/// 2026-01-01T00:00:00Z: the first event. Every later event is one second on.
const START_UNIX_SECONDS: i64 = 1_767_225_600;
/// An arrival comes this many events (seconds) after its departure.
const TRANSIT_EVENTS: u64 = 3000;
/// The declared route window.
const TRANSIT_WINDOW_SECONDS: i64 = 2 * 86_400;
/// The registry's `today`, as in the regime bench: no bundled row is dated later.
const REGISTRY_TODAY: &str = "2026-11-24";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of `/proc/self/status` (`VmHWM`, `VmRSS`), in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs`, value 5), so the next
/// reading is the peak of one phase.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_at(seconds: u64) -> UtcTime {
    UtcTime::from_unix_seconds(START_UNIX_SECONDS + seconds as i64).expect("time in range")
}

/// Deterministic keys: the seed is the name's bytes, padded.
fn key(name: &str) -> SigningKey {
    let mut seed = [7u8; 32];
    for (s, b) in seed.iter_mut().zip(name.bytes()) {
        *s ^= b;
    }
    SigningKey::from_seed(name, seed).expect("valid key name")
}

fn state(code: &str) -> StateCode {
    StateCode::parse(code).expect("literal state code")
}

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    fn pick(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}

/// The NATO host states of US items, with a unit and delivery system each.
const HOSTS: [(&str, &str, &str); 5] = [
    ("BEL", "BEL 10th Tactical Wing", "F-16"),
    ("DEU", "DEU Taktisches Luftwaffengeschwader 33", "Tornado"),
    ("ITA", "ITA 6th Wing", "Tornado"),
    ("NLD", "NLD 1st Fighter Wing", "F-35A"),
    ("TUR", "TUR host squadron", "F-16"),
];

struct Site {
    id: SiteId,
    state: StateCode,
}

struct Item {
    id: ItemId,
    owner: StateCode,
    site: usize,
    in_transit: bool,
    custodian: StateCode,
    controller: StateCode,
    deployed: bool,
}

/// Builds the log and grows it, tracking what the custody engine will hold.
struct Generator {
    log: Log<SqliteStore>,
    log_key: SigningKey,
    officer_key: SigningKey,
    officer: ActorId,
    seq: u64,
    sites: Vec<Site>,
    /// Indexes into `sites` by state: US sites, host sites, GBR, FRA.
    sites_usa: Vec<usize>,
    sites_host: Vec<usize>,
    sites_gbr: Vec<usize>,
    sites_fra: Vec<usize>,
    items: Vec<Item>,
    /// Departed items, with their destination and the event count when they arrive.
    transit: VecDeque<(usize, usize, u64)>,
    custody_moved: Vec<usize>,
    control_moved: Vec<usize>,
    events: u64,
    rng: XorShift,
    /// Events appended, by kind: depart, arrive, deploy, assign, exercise,
    /// custody transfer, control transfer.
    mix: [u64; 7],
}

impl Generator {
    fn create(path: &Path, items: u64) -> Generator {
        let log_key = key(ORIGIN);
        let store = SqliteStore::create(
            path,
            &Meta {
                origin: ORIGIN.into(),
                verifier_key: log_key.verifier().to_text(),
            },
        )
        .expect("create store");
        let mut log = Log::open(store).expect("open log");
        let admin = ActorId::parse("admin").expect("id");
        let admin_key = key("admin");
        let genesis = genesis_submission(
            ORIGIN,
            admin.clone(),
            &admin_key,
            Party::Body("secretariat".into()),
            None,
            time_at(0),
        )
        .expect("sign genesis");
        log.append(&[genesis], &log_key).expect("append genesis");
        let officer = ActorId::parse(OFFICER).expect("id");
        let officer_key = key(OFFICER);
        let register = Event {
            id: EventId::parse("admin:2:0").expect("id"),
            time: time_at(1),
            actor: admin.clone(),
            payload: Payload::ActorRegister(ActorRegister {
                actor: officer.clone(),
                role: Role::StateAuthority,
                party: Party::parse("state:USA").expect("party"),
                public_key: public_key(&officer_key),
                name: None,
            }),
            approvals: Vec::new(),
        };
        let s = sign_submission(
            Submission {
                log: ORIGIN.into(),
                actor: admin,
                seq: 2,
                events: vec![register],
            },
            &admin_key,
        )
        .expect("sign");
        log.append(&[s], &log_key).expect("append registration");

        let mut g = Generator {
            log,
            log_key,
            officer_key,
            officer,
            seq: 0,
            sites: Vec::new(),
            sites_usa: Vec::new(),
            sites_host: Vec::new(),
            sites_gbr: Vec::new(),
            sites_fra: Vec::new(),
            items: Vec::new(),
            transit: VecDeque::new(),
            custody_moved: Vec::new(),
            control_moved: Vec::new(),
            events: 2,
            rng: XorShift(0x9e37_79b9_7f4a_7c15),
            mix: [0; 7],
        };
        let mut payloads = Vec::new();
        let host_sites = [
            ("BEL", "kleine-brogel"),
            ("BEL", "bel-depot"),
            ("DEU", "buechel"),
            ("DEU", "deu-depot-1"),
            ("DEU", "deu-depot-2"),
            ("ITA", "aviano"),
            ("ITA", "ghedi"),
            ("ITA", "ita-depot"),
            ("NLD", "volkel"),
            ("NLD", "nld-depot"),
            ("TUR", "incirlik"),
            ("TUR", "tur-depot"),
        ];
        let mut specs: Vec<(String, &str, &str)> = (1..=36)
            .map(|k| (format!("usa-depot-{k:02}"), "USA", "storage"))
            .collect();
        specs.extend(
            host_sites
                .iter()
                .map(|(s, n)| (n.to_string(), *s, "air_base")),
        );
        specs.extend((1..=6).map(|k| (format!("gbr-depot-{k}"), "GBR", "storage")));
        specs.extend((1..=6).map(|k| (format!("fra-depot-{k}"), "FRA", "storage")));
        for (name, code, site_type) in specs {
            let index = g.sites.len();
            match code {
                "USA" => g.sites_usa.push(index),
                "GBR" => g.sites_gbr.push(index),
                "FRA" => g.sites_fra.push(index),
                _ => g.sites_host.push(index),
            }
            let site = Site {
                id: SiteId::parse(&name).expect("site id"),
                state: state(code),
            };
            payloads.push(Payload::SiteRegister(SiteRegister {
                site: site.id.clone(),
                name: name.clone(),
                state: site.state,
                site_type: site_type.into(),
            }));
            g.sites.push(site);
        }
        for n in 0..items {
            let (owner, item_type, site) = match n % 50 {
                0..=2 => ("GBR", "Holbrook warhead", g.pick_site(&g.sites_gbr.clone())),
                3..=5 => ("FRA", "TNA warhead", g.pick_site(&g.sites_fra.clone())),
                6..=14 => (
                    "USA",
                    "B61-12 gravity bomb",
                    g.pick_site(&g.sites_host.clone()),
                ),
                _ => ("USA", "W76-2 warhead", g.pick_site(&g.sites_usa.clone())),
            };
            let item = Item {
                id: ItemId::parse(&format!("{}-{n:06}", owner.to_lowercase())).expect("id"),
                owner: state(owner),
                site,
                in_transit: false,
                custodian: state(owner),
                controller: state(owner),
                deployed: false,
            };
            payloads.push(Payload::ItemProduce(ItemProduce {
                item: item.id.clone(),
                item_type: item_type.into(),
                site: g.sites[site].id.clone(),
                custodian: item.custodian,
                controller: item.controller,
                status: ItemStatus::Stockpiled,
            }));
            g.items.push(item);
        }
        for chunk in payloads.chunks(EVENTS_PER_SUBMISSION as usize) {
            g.append(chunk.to_vec());
        }
        g
    }

    fn pick_site(&mut self, from: &[usize]) -> usize {
        from[self.rng.pick(from.len())]
    }

    /// Signs `payloads` as the officer's next submission, one second per event.
    fn append(&mut self, payloads: Vec<Payload>) {
        self.seq += 1;
        let events = payloads
            .into_iter()
            .enumerate()
            .map(|(n, payload)| Event {
                id: EventId::parse(&format!("{OFFICER}:{}:{n}", self.seq)).expect("id"),
                time: time_at(self.events + n as u64),
                actor: self.officer.clone(),
                payload,
                approvals: Vec::new(),
            })
            .collect::<Vec<_>>();
        self.events += events.len() as u64;
        let s = sign_submission(
            Submission {
                log: ORIGIN.into(),
                actor: self.officer.clone(),
                seq: self.seq,
                events,
            },
            &self.officer_key,
        )
        .expect("sign");
        self.log.append(&[s], &self.log_key).expect("append");
    }

    /// Appends mixed events until the log holds `target` events.
    fn grow_to(&mut self, target: u64) {
        while self.events < target {
            let n = EVENTS_PER_SUBMISSION.min(target - self.events);
            let payloads = (0..n).map(|k| self.next_payload(self.events + k)).collect();
            self.append(payloads);
        }
    }

    /// An item at a site, holding its own custody and control, that `ok` accepts.
    fn find_item(&mut self, ok: impl Fn(&Generator, &Item) -> bool) -> Option<usize> {
        for _ in 0..32 {
            let i = self.rng.pick(self.items.len());
            let item = &self.items[i];
            if !item.in_transit
                && item.custodian == item.owner
                && item.controller == item.owner
                && ok(self, item)
            {
                return Some(i);
            }
        }
        None
    }

    fn at_host(&self, item: &Item) -> bool {
        self.sites[item.site].state != item.owner
    }

    fn host_of(&self, item: &Item) -> (&'static str, &'static str, &'static str) {
        let code = self.sites[item.site].state;
        HOSTS
            .iter()
            .copied()
            .find(|h| state(h.0) == code)
            .expect("a host site's state is a host")
    }

    /// The payload of event number `now` (the log's event count before it).
    fn next_payload(&mut self, now: u64) -> Payload {
        if let Some(&(i, to, due)) = self.transit.front() {
            if due <= now {
                self.transit.pop_front();
                let item = &mut self.items[i];
                item.site = to;
                item.in_transit = false;
                self.mix[1] += 1;
                return Payload::ItemArrive(ItemArrive {
                    item: item.id.clone(),
                    site: self.sites[to].id.clone(),
                });
            }
        }
        // Weights: depart 30, deploy 12, assign 18, exercise 12, custody transfer 1,
        // control transfer 2 (arrivals match departures).
        let roll = self.rng.below(75);
        let payload = match roll {
            30..=41 => self.deploy(),
            42..=59 => self.assign(),
            60..=71 => self.exercise(),
            72 => self.custody_transfer(),
            73..=74 => self.control_transfer(),
            _ => None,
        };
        payload.unwrap_or_else(|| self.depart(now))
    }

    fn depart(&mut self, now: u64) -> Payload {
        let i = loop {
            if let Some(i) = self.find_item(|_, _| true) {
                break i;
            }
        };
        let owner = self.items[i].owner;
        let choices = if owner == state("USA") {
            if self.rng.below(10) < 3 {
                self.sites_host.clone()
            } else {
                self.sites_usa.clone()
            }
        } else if owner == state("GBR") {
            self.sites_gbr.clone()
        } else {
            self.sites_fra.clone()
        };
        let mut to = self.pick_site(&choices);
        if to == self.items[i].site {
            to = choices[(choices.iter().position(|&s| s == to).unwrap_or(0) + 1) % choices.len()];
        }
        let from = self.items[i].site;
        let item = &mut self.items[i];
        item.in_transit = true;
        item.deployed = false;
        self.transit.push_back((i, to, now + TRANSIT_EVENTS));
        self.mix[0] += 1;
        Payload::ItemDepart(ItemDepart {
            item: item.id.clone(),
            from: self.sites[from].id.clone(),
            to: self.sites[to].id.clone(),
            arrive_by_utc: UtcTime::from_unix_seconds(
                time_at(now).unix_seconds() + TRANSIT_WINDOW_SECONDS,
            )
            .expect("time in range"),
        })
    }

    fn deploy(&mut self) -> Option<Payload> {
        let i = self.find_item(|g, item| g.at_host(item) && !item.deployed)?;
        let item = &self.items[i];
        let site = &self.sites[item.site];
        let payload = Payload::ItemDeployAbroad(ItemDeployAbroad {
            item: item.id.clone(),
            site: site.id.clone(),
            host: site.state,
            arrangement: "NATO nuclear sharing".into(),
        });
        self.items[i].deployed = true;
        self.mix[2] += 1;
        Some(payload)
    }

    fn assign(&mut self) -> Option<Payload> {
        let i = self.find_item(|_, _| true)?;
        let item = &self.items[i];
        let (unit, unit_state, system) = if self.at_host(item) {
            let (code, unit, system) = self.host_of(item);
            (unit.to_string(), state(code), system)
        } else {
            (format!("{} home unit", item.owner), item.owner, "bomber")
        };
        self.mix[3] += 1;
        Some(Payload::ItemAssign(ItemAssign {
            item: item.id.clone(),
            unit,
            unit_state,
            delivery_system: Some(system.into()),
        }))
    }

    /// An exercise at the item's site: one in four a home drill with the owner's
    /// forces only; the rest at host sites with the host's forces (one in five of
    /// those multinational, with all five hosts).
    fn exercise(&mut self) -> Option<Payload> {
        let home = self.rng.below(4) == 0;
        let i = self.find_item(|g, item| g.at_host(item) != home)?;
        let item = &self.items[i];
        let (exercise, participants) = if home {
            ("home readiness drill", vec![item.owner])
        } else if self.rng.below(5) == 0 {
            let mut p = vec![item.owner];
            p.extend(HOSTS.iter().map(|h| state(h.0)));
            ("multinational strike exercise", p)
        } else {
            let (code, _, _) = self.host_of(item);
            ("host readiness exercise", vec![item.owner, state(code)])
        };
        self.mix[4] += 1;
        Some(Payload::ItemExercise(ItemExercise {
            item: item.id.clone(),
            site: self.sites[item.site].id.clone(),
            exercise: exercise.into(),
            participants,
        }))
    }

    /// A custody transfer of a US item at a host site to the host, or back.
    fn custody_transfer(&mut self) -> Option<Payload> {
        if !self.custody_moved.is_empty() && self.rng.below(2) == 0 {
            let k = self.rng.pick(self.custody_moved.len());
            let i = self.custody_moved.swap_remove(k);
            let item = &mut self.items[i];
            let from = item.custodian;
            item.custodian = item.owner;
            self.mix[5] += 1;
            return Some(Payload::CustodyTransfer(CustodyTransfer {
                item: item.id.clone(),
                from,
                to: item.owner,
            }));
        }
        let i = self.find_item(|g, item| g.at_host(item))?;
        let host = self.sites[self.items[i].site].state;
        let item = &mut self.items[i];
        item.custodian = host;
        self.custody_moved.push(i);
        self.mix[5] += 1;
        Some(Payload::CustodyTransfer(CustodyTransfer {
            item: item.id.clone(),
            from: item.owner,
            to: host,
        }))
    }

    /// A control transfer of a US item at a host site to the host upon a decision
    /// to go to war, or back in peacetime.
    fn control_transfer(&mut self) -> Option<Payload> {
        if !self.control_moved.is_empty() && self.rng.below(2) == 0 {
            let k = self.rng.pick(self.control_moved.len());
            let i = self.control_moved.swap_remove(k);
            let item = &mut self.items[i];
            let from = item.controller;
            item.controller = item.owner;
            self.mix[6] += 1;
            return Some(Payload::ControlTransfer(ControlTransfer {
                item: item.id.clone(),
                from,
                to: item.owner,
                condition: None,
                wartime: false,
            }));
        }
        let i = self.find_item(|g, item| g.at_host(item))?;
        let host = self.sites[self.items[i].site].state;
        let item = &mut self.items[i];
        item.controller = host;
        self.control_moved.push(i);
        self.mix[6] += 1;
        Some(Payload::ControlTransfer(ControlTransfer {
            item: item.id.clone(),
            from: item.owner,
            to: host,
            condition: Some("upon a decision to go to war".into()),
            wartime: true,
        }))
    }
}

/// States that ceased to exist, as `custodian comply` passes them to the engine.
fn ceased_states() -> Vec<Ceased> {
    custodian_regime::rules::SUCCESSIONS
        .iter()
        .filter_map(|c| {
            Some(Ceased {
                state: StateCode::parse(c.predecessor).ok()?,
                on: Date::parse(c.from).ok()?,
                continued_by: StateCode::parse(c.successor).ok()?,
            })
        })
        .collect()
}

/// One row of the table, as the child process prints it after `RESULT`.
struct Row {
    events: u64,
    items: u64,
    floor_s: f64,
    replay_s: f64,
    rss_after_replay_mib: f64,
    peak_replay_mib: f64,
    evaluate_ms: f64,
    /// The first evaluation in the process, the one `custodian comply` runs.
    evaluate_first_ms: f64,
    evaluate_min_ms: f64,
    evaluate_max_ms: f64,
    findings: u64,
    steps: u64,
    transfers: u64,
    exercises: u64,
    arrivals: u64,
    peak_mib: f64,
}

/// The child: replays the log at `path` and evaluates, printing one `RESULT` line.
fn measure(path: &Path) {
    let replays = env_u64("CUSTODIAN_COMPLY_REPLAYS", 3).max(1);
    let evaluations = env_u64("CUSTODIAN_COMPLY_EVALUATIONS", 5).max(1);
    let log = Log::open(SqliteStore::open(path).expect("open store")).expect("open log");
    let registry =
        Registry::bundled(Date::parse(REGISTRY_TODAY).expect("date")).expect("bundled data");

    let mut floor = Vec::new();
    let mut events = 0u64;
    let mut last_time = time_at(0);
    for _ in 0..replays {
        let started = Instant::now();
        events = 0;
        log.for_each_submission(0, |_, signed| {
            events += signed.submission.events.len() as u64;
            if let Some(e) = signed.submission.events.last() {
                last_time = e.time;
            }
            Ok::<(), StoreError>(())
        })
        .expect("read the log");
        floor.push(started.elapsed());
    }
    // The end of the last event's day, as `--at <date>` gives it.
    let at =
        UtcTime::from_unix_seconds(last_time.date().plus_days(1).start_utc().unix_seconds() - 1)
            .expect("time in range");

    let mut replay = Vec::new();
    let mut custody = None;
    let mut rss_after_replay_mib = 0.0;
    let mut peak_replay_mib = 0.0;
    for run in 0..replays {
        // The previous record is dropped first, so two never coexist.
        drop(custody.take());
        reset_peak_rss();
        let started = Instant::now();
        let mut c = Custody::new().with_ceased(ceased_states());
        log.for_each_submission(0, |leaf, signed| {
            for event in &signed.submission.events {
                if event.time <= at || custodian_custody::item_of(&event.payload).is_none() {
                    c.apply(leaf, event)
                        .map_err(|e| StoreError::Damaged(format!("leaf {}: {e}", leaf.0)))?;
                }
            }
            Ok::<(), StoreError>(())
        })
        .expect("replay the log");
        replay.push(started.elapsed());
        if run == 0 {
            rss_after_replay_mib = status_mib("VmRSS");
            peak_replay_mib = status_mib("VmHWM");
        }
        custody = Some(c);
    }
    let custody = custody.expect("replayed at least once");

    reset_peak_rss();
    let mut evaluate_times = Vec::new();
    let mut findings = 0;
    let mut steps = 0;
    let mut last = Vec::new();
    for _ in 0..evaluations {
        // One set of findings at a time, as `custodian comply` holds it.
        drop(std::mem::take(&mut last));
        let started = Instant::now();
        let out = evaluate(&registry, &custody, at, None, None).expect("evaluate");
        evaluate_times.push(started.elapsed());
        findings = out.len() as u64;
        steps = out.iter().map(|f| f.reasoning.len() as u64).sum();
        last = out;
    }
    for f in &last {
        println!(
            "    {:<16} {} {:<11} {:<12} {:>8} steps {:>8} events {:>3} facts",
            f.obligation,
            f.subject,
            f.interpretation,
            format!("{:?}", f.verdict).to_lowercase(),
            f.reasoning.len(),
            f.events.len(),
            f.facts.len()
        );
    }
    drop(last);
    let peak_mib = status_mib("VmHWM").max(peak_replay_mib);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let row = Row {
        events,
        items: custody.item_count() as u64,
        floor_s: median(floor).as_secs_f64(),
        replay_s: median(replay).as_secs_f64(),
        rss_after_replay_mib,
        peak_replay_mib,
        evaluate_ms: ms(median(evaluate_times.clone())),
        evaluate_first_ms: ms(evaluate_times[0]),
        evaluate_min_ms: evaluate_times
            .iter()
            .copied()
            .map(ms)
            .fold(f64::MAX, f64::min),
        evaluate_max_ms: evaluate_times.iter().copied().map(ms).fold(0.0, f64::max),
        findings,
        steps,
        transfers: custody.transfers().len() as u64,
        exercises: custody.exercises().len() as u64,
        arrivals: custody.arrivals().len() as u64,
        peak_mib,
    };
    println!(
        "RESULT {} {} {:.3} {:.3} {:.1} {:.1} {:.1} {:.1} {:.1} {} {} {} {} {} {:.1} {:.1}",
        row.events,
        row.items,
        row.floor_s,
        row.replay_s,
        row.rss_after_replay_mib,
        row.peak_replay_mib,
        row.evaluate_ms,
        row.evaluate_min_ms,
        row.evaluate_max_ms,
        row.findings,
        row.steps,
        row.transfers,
        row.exercises,
        row.arrivals,
        row.peak_mib,
        row.evaluate_first_ms
    );
}

fn parse_row(line: &str) -> Option<Row> {
    let f: Vec<&str> = line.strip_prefix("RESULT ")?.split(' ').collect();
    let u = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    let x = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    Some(Row {
        events: u(0)?,
        items: u(1)?,
        floor_s: x(2)?,
        replay_s: x(3)?,
        rss_after_replay_mib: x(4)?,
        peak_replay_mib: x(5)?,
        evaluate_ms: x(6)?,
        evaluate_min_ms: x(7)?,
        evaluate_max_ms: x(8)?,
        findings: u(9)?,
        steps: u(10)?,
        transfers: u(11)?,
        exercises: u(12)?,
        arrivals: u(13)?,
        peak_mib: x(14)?,
        evaluate_first_ms: x(15)?,
    })
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("custodian-bench-comply-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        // Run as a test (`cargo test --benches`): nothing to do.
        return;
    }
    if let Some(k) = args.iter().position(|a| a == "--measure") {
        measure(Path::new(args.get(k + 1).expect("--measure <path>")));
        return;
    }
    let events_max = env_u64("CUSTODIAN_COMPLY_EVENTS", 10_000_000);
    let items = env_u64("CUSTODIAN_COMPLY_ITEMS", 100_000);
    let mut sizes: Vec<u64> = [1_000_000, 2_000_000, 5_000_000, 10_000_000]
        .into_iter()
        .filter(|&s| s < events_max)
        .collect();
    sizes.push(events_max);

    let dir = TempDir::new();
    let path = dir.0.join("comply.db");
    let started = Instant::now();
    let mut g = Generator::create(&path, items);
    println!(
        "declared {} sites and {} items ({} events) in {:.1} s",
        g.sites.len(),
        g.items.len(),
        g.events,
        started.elapsed().as_secs_f64()
    );
    let mut rows = Vec::new();
    for &size in &sizes {
        let started = Instant::now();
        g.grow_to(size);
        let db_mib = std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1048576.0;
        println!(
            "grew the log to {} events in {:.1} s ({db_mib:.0} MiB on disk); mix so far: \
             {} departures, {} arrivals, {} deployments, {} assignments, {} exercises, \
             {} custody and {} control transfers",
            g.events,
            started.elapsed().as_secs_f64(),
            g.mix[0],
            g.mix[1],
            g.mix[2],
            g.mix[3],
            g.mix[4],
            g.mix[5],
            g.mix[6]
        );
        let out = Command::new(std::env::current_exe().expect("own path"))
            .arg("--bench")
            .arg("--measure")
            .arg(&path)
            .output()
            .expect("run the measuring child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        for line in stdout.lines().filter(|l| !l.starts_with("RESULT ")) {
            println!("{line}");
        }
        let Some(row) = stdout.lines().find_map(parse_row) else {
            // Out of memory, most likely: report it and print what was measured.
            println!(
                "  the measuring child failed at {size} events ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            break;
        };
        println!(
            "  {} events: replay {:.2} s (floor, read and parse only: {:.2} s), evaluate {:.0} ms \
             (first {:.0}, min {:.0}, max {:.0}), {} findings with {} reasoning steps; custody holds {} \
             arrivals, {} exercises, {} transfers; RSS after replay {:.0} MiB, peak {:.0} MiB",
            row.events,
            row.replay_s,
            row.floor_s,
            row.evaluate_ms,
            row.evaluate_first_ms,
            row.evaluate_min_ms,
            row.evaluate_max_ms,
            row.findings,
            row.steps,
            row.arrivals,
            row.exercises,
            row.transfers,
            row.rss_after_replay_mib,
            row.peak_mib
        );
        rows.push(row);
    }
    println!();
    println!(
        "| events | items | replay median s | events/s | floor (read + parse) s | evaluate median ms | first evaluate ms | findings | reasoning steps | RSS after replay MiB | peak RSS replay MiB | peak RSS MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.2} | {:.0} | {:.0} | {} | {} | {:.0} | {:.0} | {:.0} |",
            r.events,
            r.items,
            r.replay_s,
            r.events as f64 / r.replay_s,
            r.floor_s,
            r.evaluate_ms,
            r.evaluate_first_ms,
            r.findings,
            r.steps,
            r.rss_after_replay_mib,
            r.peak_replay_mib,
            r.peak_mib
        );
    }
    if let (Some(a), Some(b)) = (rows.first(), rows.last()) {
        if rows.len() > 1 {
            let events = b.events as f64 / a.events as f64;
            println!(
                "\nfrom {} to {} events ({events:.1} x): replay {:.1} x, evaluate {:.1} x, \
                 RSS after replay {:.1} x, peak RSS {:.1} x",
                a.events,
                b.events,
                b.replay_s / a.replay_s,
                b.evaluate_ms / a.evaluate_ms,
                b.rss_after_replay_mib / a.rss_after_replay_mib,
                b.peak_mib / a.peak_mib
            );
        }
    }
}

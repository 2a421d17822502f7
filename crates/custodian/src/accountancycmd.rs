//! `custodian accountancy ...`: material balance statistics.

use crate::cli::{AccountancyCommand, Cli};
use crate::views::ParamError;
use crate::{output, CmdResult};
use anyhow::{anyhow, Context};
use custodian_accountancy::evaluate::{evaluate_json, EvaluateOptions, Evaluation, Matrices};
use custodian_accountancy::facility::{self, Diversion};
use custodian_accountancy::ledger_balances::{
    self, BalanceQuantity, LedgerBalancesError, LedgerEvaluation, Window,
};
use custodian_accountancy::plot::{self, Chart};
use custodian_core::event::MbaCode;
use custodian_store::Store;
use std::path::Path;

/// Runs an accountancy command.
pub fn run(cli: &Cli, cmd: &AccountancyCommand) -> CmdResult {
    match cmd {
        AccountancyCommand::Evaluate {
            balances,
            mba,
            quantity,
            from,
            to,
            alpha,
            matrices,
        } => {
            let options = EvaluateOptions {
                matrices: matrices_arg(matrices.as_deref())?,
            };
            let balances = match (balances, mba) {
                (Some(balances), _) => balances,
                (None, Some(mba)) => {
                    let date = |flag: &str, text: &Option<String>| {
                        text.as_deref()
                            .map(|t| {
                                custodian_core::Date::parse(t)
                                    .map_err(|e| anyhow!("--{flag} {t:?}: {e}"))
                            })
                            .transpose()
                    };
                    let window = Window {
                        from: date("from", from)?,
                        to: date("to", to)?,
                    };
                    return evaluate_ledger(cli, mba, quantity, window, *alpha, &options);
                }
                (None, None) => return Err(anyhow!("give --balances FILE or --mba CODE").into()),
            };
            let text = std::fs::read_to_string(balances)
                .with_context(|| format!("{}: cannot read", balances.display()))?;
            let e = evaluate_json(&text, &options)
                .map_err(|e| anyhow!("{}: {e}; nothing evaluated", balances.display()))?;
            if cli.json {
                output::json(&serde_json::to_value(&e)?);
                return Ok(());
            }
            print_evaluation(&e);
            Ok(())
        }
        AccountancyCommand::Scenario {
            seed,
            ledger: Some(variant),
            ..
        } => {
            let db = cli
                .db
                .clone()
                .unwrap_or_else(|| "custodian-scenario-fuel-fab.db".into());
            let log_key = cli
                .log_key
                .clone()
                .unwrap_or_else(|| crate::cli::log_key_beside(&db));
            scenario_ledger(cli, variant, *seed, &db, &log_key)
        }
        AccountancyCommand::Scenario { seed, runs, .. } => scenario(cli, *seed, *runs),
        AccountancyCommand::Import { file, key, crc } => import_labelled(cli, file, key, crc),
        AccountancyCommand::Export { mba, report, out } => {
            export_labelled(cli, mba, *report, out.as_deref())
        }
        AccountancyCommand::Threshold {
            balances,
            k,
            alpha,
            runs,
            seed,
            threads,
        } => threshold(cli, *balances, *k, *alpha, *runs, *seed, *threads),
        AccountancyCommand::Report {
            kind,
            mba,
            from,
            to,
            pit,
            size,
        } => report(
            cli,
            kind,
            mba,
            [from.as_deref(), to.as_deref(), pit.as_deref()],
            *size,
        ),
        AccountancyCommand::Plot {
            balances,
            scenario,
            seed,
            out,
        } => plot(cli, balances.as_deref(), scenario.as_deref(), *seed, out),
    }
}

/// `custodian accountancy plot`: evaluates the balances (or a scenario year),
/// renders every chart in memory, then writes them, so that bad input writes
/// nothing.
fn plot(
    cli: &Cli,
    balances: Option<&Path>,
    scenario: Option<&str>,
    seed: Option<u64>,
    out: &Path,
) -> CmdResult {
    let e = match (balances, scenario) {
        (Some(balances), _) => {
            let text = std::fs::read_to_string(balances)
                .with_context(|| format!("{}: cannot read", balances.display()))?;
            evaluate_json(&text, &EvaluateOptions::default())
                .map_err(|e| anyhow!("{}: {e}; nothing plotted", balances.display()))?
        }
        (None, Some(name)) => {
            let diversion = Diversion::variants()
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(_, d)| d)
                .ok_or_else(|| {
                    anyhow!("--scenario {name:?}: expected none, protracted or abrupt")
                })?;
            facility::year(&diversion, seed.unwrap_or(1)).map_err(|e| anyhow!("{e}"))?
        }
        (None, None) => return Err(anyhow!("give --balances FILE or --scenario VARIANT").into()),
    };
    let mut files = Vec::new();
    for chart in Chart::ALL {
        let svg = plot::svg(&e, chart).map_err(|e| anyhow!("{e}; nothing written"))?;
        let png = plot::png(&e, chart).map_err(|e| anyhow!("{e}; nothing written"))?;
        files.push((
            out.join(format!("{}.svg", chart.file_stem())),
            svg.into_bytes(),
        ));
        files.push((out.join(format!("{}.png", chart.file_stem())), png));
    }
    if out.exists() && !out.is_dir() {
        return Err(anyhow!("{}: not a directory; nothing written", out.display()).into());
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output directory", out.display()))?;
    for (path, bytes) in &files {
        std::fs::write(path, bytes).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if cli.json {
        let paths: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        output::json(&serde_json::json!({
            "files": paths,
            "page_alarm": e.page_alarm,
            "page_first_alarm_balance": e.page_first_alarm_balance,
        }));
        return Ok(());
    }
    for (path, _) in &files {
        println!("{}", path.display());
    }
    Ok(())
}

/// `custodian accountancy threshold`.
fn threshold(
    cli: &Cli,
    balances: usize,
    k: f64,
    alpha: f64,
    runs: usize,
    seed: u64,
    threads: Option<usize>,
) -> CmdResult {
    use custodian_accountancy::thresholds::{self, MonteCarlo};
    let exact = thresholds::page_threshold(balances, k, alpha).map_err(|e| anyhow!("{e}"))?;
    let monte_carlo = if runs > 0 {
        let threads =
            threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let settings = MonteCarlo {
            runs,
            seed,
            threads,
        };
        let started = std::time::Instant::now();
        // A progress bar on a terminal only, redrawn when it grows.
        let draw =
            !cli.json && runs >= 100_000 && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let mut shown = usize::MAX;
        let h =
            thresholds::page_threshold_monte_carlo(balances, k, alpha, &settings, |done, total| {
                let width = 40;
                let filled = done * width / total.max(1);
                if draw && filled != shown {
                    shown = filled;
                    eprint!(
                        "\r  simulating [{}{}] {done}/{total} runs",
                        "#".repeat(filled),
                        " ".repeat(width - filled)
                    );
                }
            })
            .map_err(|e| anyhow!("{e}"))?;
        if draw {
            eprintln!();
        }
        Some((h, started.elapsed().as_secs_f64()))
    } else {
        None
    };
    if cli.json {
        output::json(&serde_json::json!({
            "balances": balances, "k": k, "alpha": alpha, "exact": exact,
            "monte_carlo": monte_carlo.map(|(h, s)| serde_json::json!({"h": h, "runs": runs, "seed": seed, "seconds": s})),
        }));
        return Ok(());
    }
    println!("Page on SITMUF, {balances} balances, k = {k}, false-alarm probability {alpha} over the sequence:");
    println!("  exact (Nystrom, 50 Gauss-Legendre nodes): h = {exact:.6}");
    if let Some((h, s)) = monte_carlo {
        println!(
            "  Monte Carlo ({runs} runs, seed {seed}): h = {h:.6} (difference {:+.6}; {s:.2} s)",
            h - exact
        );
    }
    Ok(())
}

fn date(flag: &str, text: Option<&str>) -> anyhow::Result<custodian_core::Date> {
    let text = text.ok_or_else(|| anyhow!("{flag} DATE is required for this report"))?;
    custodian_core::Date::parse(text).map_err(|e| anyhow!("{flag} {text:?}: {e}"))
}

/// `custodian accountancy report icr|pil|mbr`: the accounts replayed from the
/// leaves the checkpoint covers, the report bound to that checkpoint (whose
/// signature is verified under the log's key first).
fn report(
    cli: &Cli,
    kind: &str,
    mba: &str,
    [from, to, pit]: [Option<&str>; 3],
    size: Option<u64>,
) -> CmdResult {
    use custodian_accountancy::reports::{self, Binding, Period};
    let mba =
        custodian_core::event::MbaCode::parse(mba).map_err(|e| anyhow!("--mba {mba:?}: {e}"))?;
    let log = crate::logcmd::open_log(cli)?;
    let stored = log.store().checkpoints()?;
    let note = match size {
        Some(n) => stored.iter().find(|c| c.size.0 == n),
        None => stored.last(),
    }
    .ok_or_else(|| {
        anyhow!(
            "no stored checkpoint{}",
            size.map(|n| format!(" of size {n}")).unwrap_or_default()
        )
    })?;
    let checkpoint =
        custodian_ledger::checkpoint::verify_checkpoint(note.note.as_bytes(), log.verifier())
            .map_err(|e| {
                crate::Failure::verification(anyhow!("the checkpoint does not verify: {e}"))
            })?;
    let binding = Binding::from_checkpoint(&checkpoint, &note.note).map_err(|e| anyhow!("{e}"))?;
    let accounts = accounts_of(&log, checkpoint.size().0)?;
    let value = match kind {
        "icr" => serde_json::to_value(
            reports::inventory_change_report(
                &accounts,
                &binding,
                &mba,
                Period::new(date("--from", from)?, date("--to", to)?)
                    .map_err(|e| anyhow!("{e}"))?,
            )
            .map_err(|e| anyhow!("{e}"))?,
        )?,
        "pil" => serde_json::to_value(
            reports::physical_inventory_listing(&accounts, &binding, &mba, date("--pit", pit)?)
                .map_err(|e| anyhow!("{e}"))?,
        )?,
        _ => serde_json::to_value(
            reports::material_balance_report(
                &accounts,
                &binding,
                &mba,
                Period::new(date("--from", from)?, date("--to", to)?)
                    .map_err(|e| anyhow!("{e}"))?,
            )
            .map_err(|e| anyhow!("{e}"))?,
        )?,
    };
    // The report is structured data; text mode prints it indented, JSON mode
    // compact (both carry the signed checkpoint they are bound to).
    if cli.json {
        output::json(&value);
    } else if kind == "mbr" {
        print_mbr(&value);
    } else {
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    Ok(())
}

/// The material accounts replayed from the first `covered` leaves of the log.
fn accounts_of<S: Store>(
    log: &custodian_store::log::Log<S>,
    covered: u64,
) -> anyhow::Result<custodian_accountancy::accounts::Accounts> {
    let mut accounts = custodian_accountancy::accounts::Accounts::new();
    crate::record::for_each_leaf(log, |leaf, signed| {
        if leaf.0 >= covered {
            return Ok(());
        }
        for event in &signed.submission.events {
            accounts.apply(leaf, event).map_err(|e| {
                anyhow!(
                    "leaf {}: {e}; the material accounts in this log are inconsistent",
                    leaf.0
                )
            })?;
        }
        Ok(())
    })?;
    Ok(accounts)
}

/// `--matrices` (and the `matrices` parameter of the evaluation view):
/// auto, include or omit [default: auto].
pub fn matrices_arg(text: Option<&str>) -> anyhow::Result<Matrices> {
    match text {
        None | Some("auto") => Ok(Matrices::Auto),
        Some("include") => Ok(Matrices::Include),
        Some("omit") => Ok(Matrices::Omit),
        Some(other) => Err(ParamError::invalid(
            "matrices",
            format!("--matrices {other:?}: expected auto, include or omit"),
        )
        .into()),
    }
}

/// `--quantity` (and the `quantity` parameter of the evaluation view): the
/// amount balanced, element or u235.
pub fn quantity_arg(text: &str) -> anyhow::Result<BalanceQuantity> {
    match text {
        "element" => Ok(BalanceQuantity::Element),
        "u235" => Ok(BalanceQuantity::U235),
        other => Err(ParamError::invalid(
            "quantity",
            format!("--quantity {other:?}: expected element or u235"),
        )
        .into()),
    }
}

/// `custodian accountancy evaluate --mba`: the balance sequence between the
/// MBA's closed takings, read from every leaf of the log, evaluated; alarms
/// printed as findings with their evidence.
fn evaluate_ledger(
    cli: &Cli,
    mba: &str,
    quantity: &str,
    window: Window,
    alpha: f64,
    options: &EvaluateOptions,
) -> CmdResult {
    let mba =
        custodian_core::event::MbaCode::parse(mba).map_err(|e| anyhow!("--mba {mba:?}: {e}"))?;
    let quantity = quantity_arg(quantity)?;
    let log = crate::logcmd::open_log(cli)?;
    print_ledger_evaluation(cli, &log, &mba, quantity, window, alpha, options)
}

/// What `accountancy evaluate --mba` evaluates: the MBA, the amount
/// balanced, the takings used, Page's false-alarm probability and whether the
/// matrices are shown.
pub struct EvaluationQuery {
    /// The MBA.
    pub mba: MbaCode,
    /// The amount balanced.
    pub quantity: BalanceQuantity,
    /// The closed takings used.
    pub window: Window,
    /// Page's false-alarm probability over the sequence.
    pub alpha: f64,
    /// Whether the matrices are part of the output.
    pub options: EvaluateOptions,
}

/// The balance sequence of the MBA read from every leaf of `log`, evaluated.
/// An unknown MBA, or a sequence that cannot be evaluated, is the caller's
/// [`ParamError`].
fn ledger_evaluation<S: Store>(
    log: &custodian_store::log::Log<S>,
    q: &EvaluationQuery,
) -> anyhow::Result<LedgerEvaluation> {
    let accounts = accounts_of(log, u64::MAX)?;
    ledger_balances::evaluate_ledger_in(
        &accounts, &q.mba, q.quantity, q.window, q.alpha, &q.options,
    )
    .map_err(|e| {
        let message = format!("{e}; nothing evaluated");
        match e {
            LedgerBalancesError::UnknownMba(_) => ParamError::not_found("mba", message),
            LedgerBalancesError::MixedElements { .. } => ParamError::invalid("quantity", message),
            _ => ParamError::unprocessable("mba", message),
        }
        .into()
    })
}

/// The JSON document of `custodian accountancy evaluate --mba M --json` (and
/// of `GET /api/v1/accountancy/mbas/{mba}/evaluation`): the balances, MUF,
/// σMUF, CUMUF, SITMUF and Page's statistic with its threshold h per
/// balance, and the findings with their evidence.
pub fn evaluation_doc<S: Store>(
    log: &custodian_store::log::Log<S>,
    query: &EvaluationQuery,
) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(ledger_evaluation(log, query)?)?)
}

/// Evaluates `mba` from every leaf of `log` and prints the balances, the
/// statistics and the findings.
fn print_ledger_evaluation<S: Store>(
    cli: &Cli,
    log: &custodian_store::log::Log<S>,
    mba: &MbaCode,
    quantity: BalanceQuantity,
    window: Window,
    alpha: f64,
    options: &EvaluateOptions,
) -> CmdResult {
    use custodian_accountancy::ledger_balances::FindingKind;
    let query = EvaluationQuery {
        mba: mba.clone(),
        quantity,
        window,
        alpha,
        options: *options,
    };
    if cli.json {
        output::json(&evaluation_doc(log, &query)?);
        return Ok(());
    }
    let ledger = ledger_evaluation(log, &query)?;
    println!(
        "MBA {mba}: {} balance(s) between closed physical inventory takings; Page h exact for alpha = {alpha} over the sequence",
        ledger.periods.len()
    );
    for p in &ledger.periods {
        println!(
            "  balance {}: {} to {} ({} event(s))",
            p.index, p.period.start, p.period.end, p.events_total
        );
    }
    print_evaluation(&ledger.evaluation);
    if ledger.findings.is_empty() {
        println!("findings: none");
    }
    for f in &ledger.findings {
        let kind = match f.kind {
            FindingKind::PageAlarm => "page_alarm",
            FindingKind::GemufAlarm => "gemuf_alarm",
        };
        println!(
            "FINDING {kind}: balance {} ({} to {}), statistic {:.4} > threshold {:.4}; evidence:",
            f.balance, f.period.start, f.period.end, f.statistic, f.threshold
        );
        for e in &f.evidence {
            println!("    leaf {} event {}", e.leaf.0, e.event);
        }
    }
    Ok(())
}

/// An MBR as a table: one block per category, its lines in order.
fn print_mbr(v: &serde_json::Value) {
    let b = &v["binding"];
    println!(
        "Material Balance Report, MBA {} ({}), {} to {}; bound to the checkpoint of {} at size {} (root {})",
        v["mba"].as_str().unwrap_or_default(),
        v["facility"].as_str().unwrap_or_default(),
        v["period"]["start"].as_str().unwrap_or_default(),
        v["period"]["end"].as_str().unwrap_or_default(),
        b["origin"].as_str().unwrap_or_default(),
        b["tree_size"],
        b["root_hash"].as_str().unwrap_or_default()
    );
    println!("{}", v["sign_convention"].as_str().unwrap_or_default());
    for bal in v["balances"].as_array().into_iter().flatten() {
        println!(
            "\n{} {} (category {}):",
            bal["element"].as_str().unwrap_or_default(),
            bal["category"].as_str().unwrap_or_default(),
            bal["element_category"].as_str().unwrap_or_default()
        );
        println!(
            "  {:>4} {:<4} {:>18} {:>16}",
            "line", "code", "element g", "U-235 g"
        );
        for line in bal["lines"].as_array().into_iter().flatten() {
            println!(
                "  {:>4} {:<4} {:>18} {:>16}",
                line["line_number"].to_string(),
                line["code"].as_str().unwrap_or_default(),
                line["quantity"]["element_grams"].to_string(),
                line["quantity"]["u235_grams"].to_string()
            );
        }
        println!(
            "  MUF = BA - PE = {} g element ({} SQ)",
            bal["muf"]["element_grams"], bal["muf_significant_quantity_total"]
        );
    }
}

/// `custodian accountancy scenario`.
pub fn scenario(cli: &Cli, seed: u64, runs: usize) -> CmdResult {
    let h = facility::yearly_threshold().map_err(|e| anyhow!("{e}"))?;
    let mut years = Vec::new();
    for (name, diversion) in Diversion::variants() {
        let e = facility::year(&diversion, seed).map_err(|e| anyhow!("{e}"))?;
        let rate = if runs > 0 {
            Some(facility::alarm_rate(&diversion, runs, 1_000_000).map_err(|e| anyhow!("{e}"))?)
        } else {
            None
        };
        years.push((name, diversion, e, rate));
    }
    if cli.json {
        let doc: Vec<_> = years
            .iter()
            .map(|(name, d, e, rate)| {
                serde_json::json!({"variant": name, "diversion": d, "seed": seed, "year": e, "alarm_rate": rate})
            })
            .collect();
        output::json(&serde_json::json!({"page_threshold": h, "variants": doc}));
        return Ok(());
    }
    println!(
        "An LEU fuel fabrication plant (illustrative: 2 inputs, 3 outputs, 4 inventories, a year of monthly balances in kg U; no figure is sourced). Page's test on SITMUF, k = {}, h = {h:.6} (exact for 12 balances at 5 % per year). One significant quantity of LEU: 75 kg U-235 = {:.0} kg U at 4 %.\n",
        facility::PAGE_K,
        facility::SQ_KG_U
    );
    for (name, diversion, e, rate) in &years {
        let what = match diversion {
            Diversion::None => "no diversion".to_string(),
            Diversion::Protracted { total } => {
                format!("{total:.0} kg U diverted evenly over the year")
            }
            Diversion::Abrupt { balance, amount } => {
                format!("{amount:.0} kg U diverted in month {balance}")
            }
        };
        println!("Variant {name}: {what} (measurement errors from seed {seed})");
        print_evaluation(e);
        if let Some(r) = rate {
            println!(
                "  over {} simulated years: Page alarms in {} ({:.2} % +/- {:.2} %){}\n",
                r.runs,
                r.alarms,
                100.0 * r.rate,
                100.0 * r.standard_error,
                if matches!(diversion, Diversion::None) {
                    " -- the false-alarm budget is 5 % per year"
                } else {
                    " -- the detection probability"
                }
            );
        } else {
            println!();
        }
    }
    Ok(())
}

/// Prints one evaluation as a table of balances.
fn print_evaluation(e: &Evaluation) {
    println!(
        "{} balance(s), amounts in {}; Page k = {}, h = {}; GEMUF single-look alpha = {}",
        e.periods, e.unit, e.page_k, e.page_h, e.gemuf_alpha
    );
    println!(
        "{:>7} {:>14} {:>12} {:>14} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "balance", "MUF", "sigma MUF", "CUMUF", "CUMUF/s", "SITMUF", "Page", "GEMUF-V1", "chi2 thr"
    );
    for i in 0..e.periods {
        println!(
            "{:>7} {:>14.6} {:>12.6} {:>14.6} {:>9.4} {:>9.4} {:>9.4}{} {:>10.4}{} {:>9.4}",
            i + 1,
            e.muf[i],
            e.sigma_muf[i],
            e.cumuf[i],
            e.cumuf_z[i],
            e.sitmuf[i],
            e.page[i],
            if e.page[i] > e.page_h { "*" } else { " " },
            e.gemuf_v1[i],
            if e.gemuf_alarm[i] { "*" } else { " " },
            e.gemuf_threshold[i],
        );
    }
    match e.page_first_alarm_balance {
        Some(b) => println!(
            "ALARM: Page's statistic exceeds h = {} at balance {b}",
            e.page_h
        ),
        None => println!("no Page alarm (h = {})", e.page_h),
    }
    let gemuf = e.gemuf_alarm.iter().filter(|a| **a).count();
    println!(
        "GEMUF-V1: {gemuf} balance(s) above their single-look chi-squared threshold (a sequence-wide rate needs simulation)"
    );
}

/// `custodian accountancy scenario --ledger VARIANT`: the bundled plant's
/// year recorded as ledger events in a log of its own at `db`, then MBA
/// XFF1 evaluated from that log.
pub fn scenario_ledger(
    cli: &Cli,
    variant: &str,
    seed: u64,
    db: &Path,
    log_key: &Path,
) -> CmdResult {
    let built = crate::scenario::build_log(&ledger_scenario(variant, seed)?, db, log_key)?;
    let mba = custodian_core::event::MbaCode::parse(facility::LEDGER_MBA)?;
    print_ledger_evaluation(
        cli,
        &built.log,
        &mba,
        custodian_accountancy::ledger_balances::BalanceQuantity::Element,
        Default::default(),
        facility::FALSE_ALARM_PER_YEAR,
        &EvaluateOptions::default(),
    )?;
    if !cli.json {
        println!(
            "   try: custodian --db {} accountancy evaluate --mba {} --json\n",
            db.display(),
            facility::LEDGER_MBA
        );
    }
    Ok(())
}

/// The bundled plant's year of the diversion `variant` (none, protracted or
/// abrupt; measurement errors from `seed`) as a scenario: its operator
/// `xff-operator-1` (state XFF) registers the plant and MBA XFF1, then
/// records each month's flows and month-end taking, one submission a month.
pub fn ledger_scenario(variant: &str, seed: u64) -> anyhow::Result<crate::scenario::Scenario> {
    use crate::scenario::{Scenario, ScenarioActor, ScenarioSubmission};
    use custodian_core::{ActorId, Party, Role};
    let (_, diversion) = Diversion::variants()
        .into_iter()
        .find(|(n, _)| *n == variant)
        .ok_or_else(|| anyhow!("--ledger {variant:?}: expected none, protracted or abrupt"))?;
    let operator = ActorId::parse("xff-operator-1")?;
    let submissions = facility::ledger_events(&diversion, seed)
        .into_iter()
        .enumerate()
        .map(|(month, events)| ScenarioSubmission {
            actor: operator.clone(),
            approvers: Vec::new(),
            note: Some(if month == 0 {
                "the plant, its MBA, KMPs and measurement uncertainties; the beginning taking"
                    .into()
            } else {
                format!("month {month}: flows and the month-end taking")
            }),
            expect_refused: None,
            events,
        })
        .collect();
    Ok(Scenario {
        name: format!("fuel-fab-{variant}"),
        title: format!(
            "The bundled LEU fuel fabrication plant in the ledger: a year of the {variant} variant (seed {seed})"
        ),
        about: format!(
            "Fictional state XFF (an ISO 3166 user-assigned code). The plant of `custodian accountancy scenario` (illustrative figures, none sourced) records its year as an operator would: every receipt, shipment and discard as an inventory change line at its key measurement point, a physical inventory taking at each month end, and one measurement per KMP with its relative standard deviations. MBA {} is then evaluated from the log alone.",
            facility::LEDGER_MBA
        ),
        origin: "custodian.scenario/fuel-fab".into(),
        registry: None,
        evaluate_at: None,
        before: None,
        actors: vec![ScenarioActor {
            id: operator,
            role: Role::Operator,
            party: Party::parse("state:XFF")?,
            name: "Plant operator, fuel fabrication plant 1".into(),
        }],
        submissions,
    })
}

/// `custodian accountancy import FILE --key KEY`: a labelled ICR or PIL into
/// the log, as one signed submission.
fn import_labelled(cli: &Cli, file: &Path, key_path: &Path, crc: &str) -> CmdResult {
    use custodian_accountancy::labelled::{self, Crc64Xz, CrcMode};
    let name = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("{name}: cannot read the file"))?;
    let at = |e: labelled::LabelledError| {
        anyhow!(
            "{name}:{}: field {}: {}; nothing applied",
            e.line,
            e.field,
            e.message
        )
    };
    let report = labelled::parse(&bytes).map_err(at)?;
    let mut log = crate::logcmd::open_log(cli)?;
    let log_key = crate::logcmd::read_log_key(cli)?;
    let key = crate::keyfile::read_signing_key(key_path)?;
    let actor = custodian_core::ActorId::parse(key.name())
        .with_context(|| format!("{}: the key's name is not an actor id", key_path.display()))?;
    let seq = crate::logcmd::next_seq(&log, &actor)?;
    let accounts = accounts_of(&log, log.size()?.0)?;
    let mode = match crc {
        "carry" => CrcMode::Carry,
        _ => CrcMode::Verify(&Crc64Xz),
    };
    let events =
        custodian_accountancy::filing::import(&accounts, &report, mode, &actor).map_err(at)?;
    let submission = custodian_core::Submission {
        log: log.meta().origin.clone(),
        actor,
        seq,
        events,
    };
    submission
        .check()
        .map_err(|e| anyhow!("{name}: {e}; nothing applied"))?;
    let signed = custodian_ledger::submission::sign_submission(submission, &key)?;
    let receipt = crate::record::append(&mut log, &[signed], &log_key)?
        .map_err(|e| anyhow!("{name}: {e}; nothing applied"))?;
    crate::logcmd::print_receipt(cli, &receipt);
    Ok(())
}

/// `custodian accountancy export --mba CODE --report N`.
fn export_labelled(cli: &Cli, mba: &str, number: u32, out: Option<&Path>) -> CmdResult {
    let code = custodian_core::event::MbaCode::parse(mba).context("--mba")?;
    let log = crate::logcmd::open_log(cli)?;
    let accounts = accounts_of(&log, log.size()?.0)?;
    let report = custodian_accountancy::filing::export(&accounts, &code, number)?;
    let bytes = custodian_accountancy::labelled::render(&report);
    match out {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

//! `custodian accountancy ...`: material balance statistics.

use crate::cli::{AccountancyCommand, Cli};
use crate::{output, CmdResult};
use anyhow::{anyhow, Context};
use custodian_accountancy::evaluate::{evaluate_json, EvaluateOptions, Matrices};

/// Runs an accountancy command.
pub fn run(cli: &Cli, cmd: &AccountancyCommand) -> CmdResult {
    match cmd {
        AccountancyCommand::Evaluate { balances, matrices } => {
            let text = std::fs::read_to_string(balances)
                .with_context(|| format!("{}: cannot read", balances.display()))?;
            let options = EvaluateOptions {
                matrices: match matrices.as_deref() {
                    None | Some("auto") => Matrices::Auto,
                    Some("include") => Matrices::Include,
                    Some("omit") => Matrices::Omit,
                    Some(other) => {
                        return Err(
                            anyhow!("--matrices {other:?}: expected auto, include or omit").into(),
                        )
                    }
                },
            };
            let e = evaluate_json(&text, &options)
                .map_err(|e| anyhow!("{}: {e}; nothing evaluated", balances.display()))?;
            if cli.json {
                output::json(&serde_json::to_value(&e)?);
                return Ok(());
            }
            println!(
                "{} balance(s), amounts in {}; Page k = {}, h = {}; GEMUF single-look alpha = {}",
                e.periods, e.unit, e.page_k, e.page_h, e.gemuf_alpha
            );
            println!(
                "{:>7} {:>14} {:>12} {:>14} {:>9} {:>9} {:>9} {:>10} {:>9}",
                "balance",
                "MUF",
                "sigma MUF",
                "CUMUF",
                "CUMUF/s",
                "SITMUF",
                "Page",
                "GEMUF-V1",
                "chi2 thr"
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
            Ok(())
        }
    }
}

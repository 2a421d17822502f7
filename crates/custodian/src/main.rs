//! The `custodian` command-line tool: glue over the libraries (STYLE §1).
//!
//! Exit codes (also in `custodian --help`):
//! - 0: success;
//! - 1: an error — bad input, a refused submission, a missing file; nothing applied;
//! - 2: the command line itself is wrong (unknown flag, missing argument);
//! - 3: verification failed — the audit found a change, a proof or checkpoint
//!   does not verify.
#![forbid(unsafe_code)]

/// Returns early with an error, in functions returning either
/// `anyhow::Result` or [`CmdResult`].
macro_rules! bail {
    ($($t:tt)*) => {
        return Err(anyhow::anyhow!($($t)*).into())
    };
}

mod accountancycmd;
mod cli;
mod complycmd;
mod demo;
mod escrowcmd;
mod exportcmd;
mod input;
mod itemcmd;
mod keyfile;
mod logcmd;
mod merklecmd;
mod output;
mod record;
mod regimecmd;
mod reviewcmd;
mod scenario;
mod servecmd;
mod views;

use clap::Parser;
use std::process::ExitCode;

/// An error with the exit code it maps to.
pub struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl Failure {
    /// Exit code 3: something did not verify.
    pub fn verification(error: anyhow::Error) -> Failure {
        Failure { code: 3, error }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            code: 1,
            error: e.into(),
        }
    }
}

/// Result of a command.
pub type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    // `custodian ... | head` closes the pipe early: stop quietly, as other
    // command-line tools do, instead of reporting a panic.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, error }) => {
            eprintln!("error: {error:#}");
            ExitCode::from(code)
        }
    }
}

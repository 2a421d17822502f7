//! JSON-lines input with line numbers, so every error names file, line and field.

use anyhow::{anyhow, Context};
use custodian_core::canonical::parse_strict;
use custodian_core::limits::INPUT_LINE_BYTES_MAX;
use custodian_core::{ActorId, Event, SignedSubmission, UtcTime};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// One non-blank input line: its number (from 1) and its JSON value.
pub struct Line {
    /// Line number, from 1.
    pub number: usize,
    /// The strictly parsed value.
    pub value: Value,
}

/// A parsed input file.
pub enum Input {
    /// Event lines, to be signed here as one submission.
    Events(Vec<Line>),
    /// Pre-signed submissions, one per line.
    Submissions(Vec<(usize, SignedSubmission)>),
}

/// Reads `path` (`-` for standard input) as JSON lines: UTF-8, each non-blank
/// line one JSON object, within the line length limit.
pub fn read_json_lines(path: &Path) -> anyhow::Result<(String, Vec<Line>)> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    if name == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("{name}: cannot read the file"))?;
    }
    let mut lines = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.len() > INPUT_LINE_BYTES_MAX {
            bail!("{name}:{number}: line of {} bytes exceeds the limit of {INPUT_LINE_BYTES_MAX}; nothing applied", raw.len());
        }
        let text = std::str::from_utf8(raw).map_err(|e| {
            anyhow!(
                "{name}:{number}: expected UTF-8 text, found an invalid byte at column {}; nothing applied",
                e.valid_up_to() + 1
            )
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let value = parse_strict(text)
            .map_err(|e| anyhow!("{name}:{number}: malformed JSON: {e}; nothing applied"))?;
        if !value.is_object() {
            bail!("{name}:{number}: expected a JSON object; nothing applied");
        }
        lines.push(Line { number, value });
    }
    if lines.is_empty() {
        bail!("{name}: no JSON lines found; nothing applied");
    }
    Ok((name, lines))
}

/// Classifies the lines: all events, or all signed submissions (with a `signature`).
pub fn classify(name: &str, lines: Vec<Line>) -> anyhow::Result<Input> {
    let signed = lines
        .iter()
        .filter(|l| l.value.get("signature").is_some())
        .count();
    if signed == 0 {
        // A submission that lost its signature is not an event: say so.
        let unsigned = lines
            .iter()
            .find(|l| l.value.get("events").is_some() && l.value.get("seq").is_some());
        if let Some(l) = unsigned {
            bail!(
                "{name}:{}: field signature: missing; a submission must be signed by its actor (see `custodian log sign`); nothing applied",
                l.number
            );
        }
        return Ok(Input::Events(lines));
    }
    if signed != lines.len() {
        let first = lines
            .iter()
            .find(|l| l.value.get("signature").is_none())
            .map_or(0, |l| l.number);
        bail!("{name}:{first}: expected a signed submission like the other lines (a file holds either events or signed submissions); nothing applied");
    }
    let mut out = Vec::new();
    for line in lines {
        let (submission, signature) = SignedSubmission::parse_json(line.value)
            .map_err(|e| anyhow!("{name}:{}: {e}; nothing applied", line.number))?;
        let signature =
            signature.ok_or_else(|| anyhow!("{name}:{}: field signature: missing", line.number))?;
        out.push((
            line.number,
            SignedSubmission {
                submission,
                signature,
            },
        ));
    }
    Ok(Input::Submissions(out))
}

/// Turns event lines into events of `actor`'s submission number `seq`, filling in
/// `v`, `actor`, `id` (`<actor>:<seq>:<n>`) and `time` (`now`) where a line omits them.
pub fn build_events(
    name: &str,
    lines: &[Line],
    actor: &ActorId,
    seq: u64,
    now: UtcTime,
) -> anyhow::Result<Vec<Event>> {
    lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            let mut value = line.value.clone();
            let map = value.as_object_mut().ok_or_else(|| anyhow!("{name}:{}: expected a JSON object", line.number))?;
            map.entry("v").or_insert(Value::from(1));
            map.entry("actor").or_insert(Value::from(actor.as_str()));
            map.entry("time").or_insert(Value::from(now.to_string()));
            if !map.contains_key("id") {
                map.insert("id".into(), Value::from(format!("{actor}:{seq}:{n}")));
            }
            let event = Event::from_json(value)
                .map_err(|e| anyhow!("{name}:{}: {e}; nothing applied", line.number))?;
            if &event.actor != actor {
                bail!(
                    "{name}:{}: field actor: expected {:?} (the signing key's actor), found {:?}; nothing applied",
                    line.number,
                    actor.as_str(),
                    event.actor.as_str()
                );
            }
            Ok(event)
        })
        .collect()
}

/// The current time, to the second (the binary is the only place that reads the clock).
pub fn now() -> UtcTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    UtcTime::from_unix_seconds(seconds).unwrap_or_else(|| {
        // The clock is outside years 0000–9999: fall back to the epoch, visibly.
        UtcTime::from_unix_seconds(0).expect("the epoch is representable")
    })
}

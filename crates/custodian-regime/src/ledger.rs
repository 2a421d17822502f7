//! The registry in the log. Every row of every table is one `registry.row` event
//! ([`RegistryRow`]): the row's cells exactly as in the table's CSV file, an empty
//! cell as `null`. A secretariat appends the bundled tables as its first
//! submissions; later changes are further rows. The registry is rebuilt by
//! replaying the rows in log order into CSV text and reading that text with the
//! same parser that reads `data/` ([`Registry::from_files`]), so a row in the log
//! and a line in a file are checked by one piece of code.

use crate::bundled;
use crate::data::DataFiles;
use crate::error::{Place, RegimeError};
use crate::model::Registry;
use custodian_core::event::RegistryRow;
use custodian_core::{ActorId, Date, Event, EventId, EventKind, Payload, Submission, UtcTime};
use custodian_ledger::keys::SigningKey;
use custodian_ledger::submission::sign_submission;
use custodian_store::log::{AppendError, AppendReceipt, Log};
use custodian_store::{Store, StoreError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The tables, in the order they are appended and replayed.
pub const TABLES: [&str; 9] = [
    "states",
    "treaties",
    "memberships",
    "ctbt_annex2",
    "forces",
    "deployments",
    "review_conferences",
    "positions",
    "treaty_counts",
];

/// The CSV text of `table` in a set of files.
pub fn table_text<'a>(files: &DataFiles<'a>, table: &str) -> Option<&'a str> {
    Some(match table {
        "states" => files.states,
        "treaties" => files.treaties,
        "memberships" => files.memberships,
        "ctbt_annex2" => files.ctbt_annex2,
        "forces" => files.forces,
        "deployments" => files.deployments,
        "review_conferences" => files.review_conferences,
        "positions" => files.positions,
        "treaty_counts" => files.treaty_counts,
        _ => return None,
    })
}

fn csv_error(file: &str, e: &csv::Error) -> RegimeError {
    RegimeError::Csv {
        at: Place::at(file, e.position().map_or(0, |p| p.line())),
        message: e.to_string(),
    }
}

/// The columns of `table`: the header of its bundled file, in order.
pub fn columns(table: &str) -> Result<Vec<String>, RegimeError> {
    let text = table_text(&bundled::FILES, table).ok_or_else(|| RegimeError::Header {
        at: Place::direct(),
        expected: format!("one of the tables {}", TABLES.join(", ")),
        found: table.to_string(),
    })?;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(table, &e))?;
    Ok(headers.iter().map(str::to_string).collect())
}

/// The rows of one table's CSV text (`file` names it in errors) as
/// `registry.row` payloads. The header must be the table's.
pub fn rows_from_csv(file: &str, table: &str, text: &str) -> Result<Vec<RegistryRow>, RegimeError> {
    let expected = columns(table)?;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(file, &e))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers != expected {
        return Err(RegimeError::Header {
            at: Place::at(file, 1),
            expected: expected.join(","),
            found: headers.join(","),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(file, &e))?;
        let row: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(name, cell)| {
                let value = if cell.is_empty() {
                    Value::Null
                } else {
                    Value::String(cell.to_string())
                };
                (name.clone(), value)
            })
            .collect();
        rows.push(RegistryRow {
            table: table.to_string(),
            row,
        });
    }
    Ok(rows)
}

/// The rows of a JSON array of row objects (`file` names it in errors), each with
/// exactly the table's columns; a cell is text or `null` (a number is taken as
/// its text).
pub fn rows_from_json(
    file: &str,
    table: &str,
    text: &str,
) -> Result<Vec<RegistryRow>, RegimeError> {
    let expected = columns(table)?;
    let value = custodian_core::canonical::parse_strict(text).map_err(|e| RegimeError::Csv {
        at: Place::file(file),
        message: format!("malformed JSON: {e}"),
    })?;
    let items = value.as_array().ok_or_else(|| RegimeError::Csv {
        at: Place::file(file),
        message: "expected a JSON array of row objects".into(),
    })?;
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = Place::file(&format!("{file}[{i}]"));
        let object = item.as_object().ok_or_else(|| RegimeError::Csv {
            at: at.clone(),
            message: "expected a row object".into(),
        })?;
        let mut found: Vec<&String> = object.keys().collect();
        found.sort();
        let mut wanted: Vec<&String> = expected.iter().collect();
        wanted.sort();
        if found != wanted {
            return Err(RegimeError::Header {
                at,
                expected: expected.join(","),
                found: object.keys().cloned().collect::<Vec<_>>().join(","),
            });
        }
        let mut row = Map::new();
        for (name, cell) in object {
            let cell = match cell {
                Value::Null => Value::Null,
                Value::String(s) if s.is_empty() => Value::Null,
                Value::String(s) => Value::String(s.clone()),
                Value::Number(n) => Value::String(n.to_string()),
                other => {
                    return Err(RegimeError::Csv {
                        at,
                        message: format!(
                            "column {name}: expected text, a number or null, found {other}"
                        ),
                    })
                }
            };
            row.insert(name.clone(), cell);
        }
        rows.push(RegistryRow {
            table: table.to_string(),
            row,
        });
    }
    Ok(rows)
}

/// The CSV text of `rows` (all of `table`): the header in the bundled order,
/// CRLF line ends as in `data/`.
pub fn csv_from_rows<'r>(
    table: &str,
    rows: impl IntoIterator<Item = &'r RegistryRow>,
) -> Result<String, RegimeError> {
    let columns = columns(table)?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(&columns)
        .map_err(|e| csv_error(table, &e))?;
    for row in rows {
        if row.table != table {
            return Err(RegimeError::Header {
                at: Place::direct(),
                expected: format!("a row of table {table}"),
                found: row.table.clone(),
            });
        }
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match row.row.get(c) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            })
            .collect();
        writer
            .write_record(&cells)
            .map_err(|e| csv_error(table, &e))?;
    }
    let bytes = writer.into_inner().map_err(|e| RegimeError::Csv {
        at: Place::file(table),
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| RegimeError::Csv {
        at: Place::file(table),
        message: e.to_string(),
    })
}

/// Every bundled row, table by table, ready to be signed as `registry.row` events.
pub fn bundled_rows() -> Result<Vec<(String, Vec<RegistryRow>)>, RegimeError> {
    TABLES
        .iter()
        .map(|table| {
            let text = table_text(&bundled::FILES, table).unwrap_or_default();
            Ok((
                table.to_string(),
                rows_from_csv(&format!("{table}.csv"), table, text)?,
            ))
        })
        .collect()
}

/// The tables rebuilt from rows in log order, as CSV text.
pub struct Tables {
    texts: BTreeMap<String, String>,
}

impl Tables {
    /// Groups `rows` (in log order) by table and writes each table's CSV.
    pub fn from_rows<'r>(
        rows: impl IntoIterator<Item = &'r RegistryRow>,
    ) -> Result<Tables, RegimeError> {
        let mut by_table: BTreeMap<&str, Vec<&RegistryRow>> = BTreeMap::new();
        for row in rows {
            let table =
                TABLES
                    .iter()
                    .find(|t| **t == row.table)
                    .ok_or_else(|| RegimeError::Header {
                        at: Place::direct(),
                        expected: format!("one of the tables {}", TABLES.join(", ")),
                        found: row.table.clone(),
                    })?;
            by_table.entry(table).or_default().push(row);
        }
        let mut texts = BTreeMap::new();
        for table in TABLES {
            let rows = by_table.remove(table).unwrap_or_default();
            texts.insert(table.to_string(), csv_from_rows(table, rows)?);
        }
        Ok(Tables { texts })
    }

    /// One table's CSV text.
    pub fn text(&self, table: &str) -> &str {
        self.texts.get(table).map_or("", String::as_str)
    }

    /// The texts as the files a [`Registry`] is built from.
    pub fn files(&self) -> DataFiles<'_> {
        DataFiles {
            states: self.text("states"),
            treaties: self.text("treaties"),
            memberships: self.text("memberships"),
            ctbt_annex2: self.text("ctbt_annex2"),
            forces: self.text("forces"),
            deployments: self.text("deployments"),
            review_conferences: self.text("review_conferences"),
            positions: self.text("positions"),
            treaty_counts: self.text("treaty_counts"),
        }
    }

    /// The registry these tables describe, validated as a whole.
    pub fn registry(&self, today: Date) -> Result<Registry, RegimeError> {
        Registry::from_files(&self.files(), today)
    }
}

/// Why the registry could not be read from, or written to, the log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The store failed or is damaged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The append was refused.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The rows do not form a valid registry.
    #[error(transparent)]
    Regime(#[from] RegimeError),
    /// The signing key or a row could not make a submission.
    #[error("{0}")]
    Submission(String),
}

/// The registry rows in the log, in log order, each with its leaf.
pub fn logged_rows<S: Store>(log: &Log<S>) -> Result<Vec<(u64, RegistryRow)>, StoreError> {
    Ok(log
        .events_of_kind(EventKind::RegistryRow)?
        .into_iter()
        .filter_map(|(leaf, e)| match e.payload {
            Payload::RegistryRow(row) => Some((leaf.0, row)),
            _ => None,
        })
        .collect())
}

/// The registry as the log holds it (empty tables if it holds no rows).
pub fn registry_from_log<S: Store>(log: &Log<S>, today: Date) -> Result<Registry, LogError> {
    let rows = logged_rows(log)?;
    Ok(Tables::from_rows(rows.iter().map(|(_, r)| r))?.registry(today)?)
}

/// Signs `tables` as submissions of at most 5,000 rows by the key's actor (a
/// secretariat) and appends them as one group: all or nothing.
pub fn append_rows<S: Store>(
    log: &mut Log<S>,
    log_key: &SigningKey,
    key: &SigningKey,
    tables: Vec<(String, Vec<RegistryRow>)>,
    now: UtcTime,
) -> Result<AppendReceipt, LogError> {
    let submission_error = |e: &dyn std::fmt::Display| LogError::Submission(e.to_string());
    let actor = ActorId::parse(key.name()).map_err(|e| submission_error(&e))?;
    let mut seq = log
        .registry()
        .get(&actor)
        .ok_or_else(|| LogError::Submission(format!("unknown actor {:?}", actor.as_str())))?
        .next_seq;
    let mut submissions = Vec::new();
    for (_, rows) in tables {
        for chunk in rows.chunks(5_000) {
            let events = chunk
                .iter()
                .enumerate()
                .map(|(n, row)| {
                    Ok(Event {
                        id: EventId::parse(&format!("{actor}:{seq}:{n}"))
                            .map_err(|e| submission_error(&e))?,
                        time: now,
                        actor: actor.clone(),
                        payload: Payload::RegistryRow(row.clone()),
                        approvals: Vec::new(),
                    })
                })
                .collect::<Result<Vec<_>, LogError>>()?;
            let submission = Submission {
                log: log.meta().origin.clone(),
                actor: actor.clone(),
                seq,
                events,
            };
            submission.check().map_err(|e| submission_error(&e))?;
            submissions.push(sign_submission(submission, key).map_err(|e| submission_error(&e))?);
            seq += 1;
        }
    }
    Ok(log.append(&submissions, log_key)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_survive_the_trip_through_registry_rows() {
        let rows: Vec<RegistryRow> = bundled_rows()
            .unwrap()
            .into_iter()
            .flat_map(|(_, rows)| rows)
            .collect();
        let tables = Tables::from_rows(&rows).unwrap();
        // Record for record (quoting is a surface form: the bundled files quote
        // some cells that need no quotes).
        let records = |text: &str| -> Vec<Vec<String>> {
            csv::ReaderBuilder::new()
                .from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect()
        };
        for table in TABLES {
            let bundled = table_text(&bundled::FILES, table).unwrap();
            assert_eq!(records(tables.text(table)), records(bundled), "{table}");
            assert!(!records(bundled).is_empty(), "{table}");
        }
        let today = Date::parse("2026-11-24").unwrap();
        tables.registry(today).unwrap();
    }

    #[test]
    fn a_foreign_header_is_refused() {
        let err = rows_from_csv("x.csv", "forces", "a,b\r\n1,2\r\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.csv:1: header: expected state,year"),
            "{err}"
        );
    }
}

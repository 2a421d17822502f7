//! The engines' views for `custodian serve`: [`EngineViews`] answers each of
//! the server's view routes by calling the function the matching command
//! calls for `--json` (`regimecmd::regime_doc`, `itemcmd::items_doc`,
//! `complycmd::findings_doc`, `accountancycmd::evaluation_doc`,
//! `escrowcmd::verify_doc`, `reviewcmd::summary_doc`), so the HTTP body and
//! the command's output are one document computed by one piece of code.
//!
//! A parameter the engines refuse is a [`ParamError`] in the error chain of
//! those functions: the command prints it, the server answers it as a `400`
//! (or `404`, `422`) naming the parameter.

use crate::accountancycmd::{evaluation_doc, matrices_arg, quantity_arg, EvaluationQuery};
use crate::complycmd::findings_doc;
use crate::escrowcmd::verify_doc;
use crate::itemcmd::{alerts_doc, history_doc, item_doc, items_doc, ItemsFilter};
use crate::regimecmd::{regime_doc, registry_from_log, RegimeQuery};
use crate::reviewcmd::summary_doc;
use custodian_accountancy::evaluate::EvaluateOptions;
use custodian_accountancy::ledger_balances::Window;
use custodian_core::{EventKind, Payload, StateCode};
use custodian_regime::{Registry, TreatyId};
use custodian_server::{MbaListing, ViewError, ViewRequest, Views};
use custodian_store::any::AnyStore;
use custodian_store::log::Log;
use custodian_store::Store;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// How a parameter was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Not a value the engine takes (`400`).
    Invalid,
    /// What it names is not there (`404`).
    NotFound,
    /// Well formed, but the engine cannot answer for it (`422`).
    Unprocessable,
}

/// A parameter of a command or view that the engine refuses, named by its
/// HTTP parameter (`field`); the message is for people, on either side.
#[derive(Debug)]
pub struct ParamError {
    /// The parameter, as the server's routes name it.
    pub field: &'static str,
    /// How it was wrong.
    pub kind: ParamKind,
    /// What was wrong and what was expected.
    pub message: String,
}

impl ParamError {
    /// A value the engine does not take.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ParamError {
        ParamError {
            field,
            kind: ParamKind::Invalid,
            message: message.into(),
        }
    }

    /// Something named that is not there.
    pub fn not_found(field: &'static str, message: impl Into<String>) -> ParamError {
        ParamError {
            field,
            kind: ParamKind::NotFound,
            message: message.into(),
        }
    }

    /// A question the engine cannot answer for these parameters.
    pub fn unprocessable(field: &'static str, message: impl Into<String>) -> ParamError {
        ParamError {
            field,
            kind: ParamKind::Unprocessable,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParamError {}

/// The server's error for a command's: a [`ParamError`] anywhere in the
/// chain names its parameter; anything else is internal (the chain goes to
/// the server's log).
fn view_error(e: anyhow::Error) -> ViewError {
    match e.chain().find_map(|c| c.downcast_ref::<ParamError>()) {
        Some(p) => {
            let (field, message) = (p.field.to_string(), p.message.clone());
            match p.kind {
                ParamKind::Invalid => ViewError::BadParameter { field, message },
                ParamKind::NotFound => ViewError::NotFound { field, message },
                ParamKind::Unprocessable => ViewError::Unprocessable { field, message },
            }
        }
        None => ViewError::Internal(format!("{e:#}")),
    }
}

/// The engines, for the server: the registry is rebuilt only when a
/// `registry.row` has been appended since (a date slider asks for many dates
/// of one registry, and appends of other kinds do not change it); every
/// other view is cached by the server.
#[derive(Default)]
pub struct EngineViews {
    /// The registry, with the last leaf holding a registry row it was built from.
    registry: Mutex<Option<(Option<u64>, Arc<Registry>)>>,
}

impl EngineViews {
    /// Views with nothing cached yet.
    pub fn new() -> EngineViews {
        EngineViews::default()
    }

    /// The treaty registry as `log` holds it. The lock is held while it is
    /// rebuilt, so concurrent registry views wait for one rebuild.
    fn registry(&self, log: &Log<AnyStore>) -> anyhow::Result<Arc<Registry>> {
        // Leaves are never rewritten, so the last leaf holding a registry
        // row names the registry's state: one indexed query.
        let version = log
            .store()
            .leaves_with_event_kind(custodian_core::EventKind::RegistryRow)?
            .last()
            .copied();
        let mut held = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, registry)) = held.as_ref() {
            if *at == version {
                return Ok(registry.clone());
            }
        }
        let registry = Arc::new(registry_from_log(log)?);
        *held = Some((version, registry.clone()));
        Ok(registry)
    }

    fn answer(&self, log: &Log<AnyStore>, request: &ViewRequest) -> anyhow::Result<Value> {
        let treaty = |text: &str| {
            TreatyId::parse(text)
                .map_err(|e| ParamError::invalid("treaty", format!("{text:?}: {e}")))
        };
        let at = |at: &custodian_server::At| crate::record::parse_at(Some(&at.to_string()));
        match request {
            ViewRequest::RegistryStatus { treaty: t, at } => regime_doc(
                &*self.registry(log)?,
                &RegimeQuery::Status {
                    treaty: treaty(t)?,
                    at: *at,
                },
            ),
            ViewRequest::RegistryInForce { treaty: t, at } => regime_doc(
                &*self.registry(log)?,
                &RegimeQuery::InForce {
                    treaty: treaty(t)?,
                    at: *at,
                },
            ),
            ViewRequest::RegistryState { state, at } => regime_doc(
                &*self.registry(log)?,
                &RegimeQuery::State {
                    state: *state,
                    at: *at,
                },
            ),
            ViewRequest::RegistryForces { year } => {
                regime_doc(&*self.registry(log)?, &RegimeQuery::Forces { year: *year })
            }
            ViewRequest::RegistryDeployments { at } => {
                regime_doc(&*self.registry(log)?, &RegimeQuery::Deployments { at: *at })
            }
            ViewRequest::Items {
                at: when,
                state,
                custodian,
                controller,
            } => items_doc(
                log,
                at(when)?,
                &ItemsFilter {
                    state: *state,
                    custodian: *custodian,
                    controller: *controller,
                },
            ),
            ViewRequest::Item { id, at: when } => item_doc(log, id, at(when)?),
            ViewRequest::ItemHistory { id } => history_doc(log, id),
            ViewRequest::Alerts { at: when } => alerts_doc(log, at(when)?),
            ViewRequest::Findings {
                at: when,
                obligation,
                interpretation,
            } => findings_doc(
                log,
                at(when)?,
                obligation.as_deref(),
                interpretation.as_deref(),
            ),
            ViewRequest::Evaluation {
                mba,
                from,
                to,
                quantity,
                alpha,
                matrices,
            } => evaluation_doc(
                log,
                &EvaluationQuery {
                    mba: mba.clone(),
                    quantity: quantity_arg(quantity)?,
                    window: Window {
                        from: *from,
                        to: *to,
                    },
                    alpha: *alpha,
                    options: EvaluateOptions {
                        matrices: matrices_arg(matrices.as_deref())?,
                    },
                },
            ),
            ViewRequest::Escrow { declaration } => verify_doc(log, declaration.as_ref()),
            ViewRequest::ReviewSummary { year } => summary_doc(log, *year),
        }
    }
}

impl Views for EngineViews {
    fn view(&self, log: &Log<AnyStore>, request: &ViewRequest) -> Result<Value, ViewError> {
        self.answer(log, request).map_err(view_error)
    }

    /// Every registered MBA, its facility and the facility's state, from the
    /// log's `facility.register` and `mba.register` events.
    fn mbas(&self, log: &Log<AnyStore>) -> Result<Vec<MbaListing>, ViewError> {
        let internal = |e: custodian_store::StoreError| ViewError::Internal(e.to_string());
        let mut facilities: BTreeMap<String, StateCode> = BTreeMap::new();
        for (_, event) in log
            .events_of_kind(EventKind::FacilityRegister)
            .map_err(internal)?
        {
            if let Payload::FacilityRegister(f) = event.payload {
                facilities.insert(f.facility.to_string(), f.state);
            }
        }
        let mut out = Vec::new();
        for (_, event) in log
            .events_of_kind(EventKind::MbaRegister)
            .map_err(internal)?
        {
            if let Payload::MbaRegister(m) = event.payload {
                let facility = m.facility.to_string();
                // The accounts' rules register a facility before its MBAs.
                if let Some(state) = facilities.get(&facility) {
                    out.push(MbaListing {
                        mba: m.mba,
                        facility,
                        state: *state,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.mba.cmp(&b.mba));
        out.dedup_by(|a, b| a.mba == b.mba);
        Ok(out)
    }
}

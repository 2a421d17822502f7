//! A complete, valid report and small helpers, shared by the test files.
#![allow(dead_code)]

use serde_json::{json, Map, Value};

/// A report giving every field (figures made up for the tests).
pub fn full_report() -> Map<String, Value> {
    let v = json!({
        "format": "custodian/npt-report/v1",
        "as_of": "2015-01-01",
        "warheads": {
            "deployed_strategic": {"value": 120, "unit": "warheads"},
            "deployed_non_strategic": {"value": 0, "unit": "warheads"},
            "reserve": {"value": 100, "unit": "warheads"},
            "awaiting_dismantlement": {"value": 5, "unit": "warheads"},
            "total": {"value": 225, "unit": "warheads"}
        },
        "delivery_vehicles": {
            "icbm": {"value": 0, "unit": "missiles"},
            "slbm": {"value": 40, "unit": "missiles"},
            "bombers": {"value": 0, "unit": "aircraft"},
            "launchers": {"value": 40, "unit": "launchers"}
        },
        "fissile_material": {
            "heu": {"value": 20.5, "unit": "tonnes"},
            "heu_declared_excess": {"value": 0, "unit": "tonnes"},
            "separated_plutonium": {"value": 3.2, "unit": "tonnes"},
            "plutonium_declared_excess": {"value": 1, "unit": "tonnes"}
        },
        "reductions": {
            "warheads_dismantled": {"value": 10, "unit": "warheads"},
            "delivery_vehicles_eliminated": {"value": 0, "unit": "vehicles"},
            "description": "test text"
        },
        "doctrine": {
            "declaratory_policy": "test text",
            "security_assurances": "test text"
        },
        "measures": {
            "ctbt_status": "test text",
            "fmct_position": "test text",
            "transparency": ["a", "b"]
        }
    });
    v.as_object().unwrap().clone()
}

/// Sets `path` (dot-separated, objects only) to `value` in `report`.
pub fn set(report: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut object = report;
    for p in parts {
        object = object.get_mut(p).unwrap().as_object_mut().unwrap();
    }
    object.insert(last.to_string(), value);
}

/// Removes `path` from `report`.
pub fn remove(report: &mut Map<String, Value>, path: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut object = report;
    for p in parts {
        object = object.get_mut(p).unwrap().as_object_mut().unwrap();
    }
    object.remove(last);
}

//! Python bindings of podplan: the operations (docs/reports.md) for
//! Python, returning the same reports as the CLI's `--output json`.
//!
//! A thin shell, like `bindings/wasm`: [`run`] reads the scenario files with
//! [`podplan::read_scenario`], calls one library operation with options
//! decoded from the camelCase JSON the CLI's flags map to, and returns the
//! report as JSON text, which the Python package (`python/podplan`) turns
//! into plain `dict`s. There is no planning logic here. Errors become
//! `podplan.ScenarioError` (a `ValueError`) with the library's message; the
//! GIL is released while the operation runs.
#![warn(missing_docs)]

use podplan::{
    DiffOptions, DrainOptions, ExplainOptions, HeadroomOptions, Input, PlaceOptions, SizesOptions,
    TenancyOptions,
};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

create_exception!(
    _podplan,
    ScenarioError,
    PyValueError,
    "A scenario or options podplan cannot use; the message is the CLI's."
);

/// Options from their camelCase JSON (`{}` gives the defaults).
fn options<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| format!("options: {e}"))
}

/// A report as the CLI's JSON.
fn report<T: Serialize>(result: podplan::Result<T>) -> Result<String, String> {
    let report = result.map_err(|e| e.to_string())?;
    serde_json::to_string(&report).map_err(|e| e.to_string())
}

/// The named texts as the library's inputs.
fn inputs<'a>(names: &'a [String], texts: &'a [String]) -> Vec<Input<'a>> {
    names
        .iter()
        .zip(texts)
        .map(|(name, text)| Input::new(name, text))
        .collect()
}

/// One operation on the scenario `files` ((name, text) pairs) with
/// `options` (JSON); `change` is `diff`'s second scenario.
fn run_operation(
    operation: &str,
    files: &(Vec<String>, Vec<String>),
    options_json: &str,
    change: &(Vec<String>, Vec<String>),
) -> Result<String, String> {
    let scenario = inputs(&files.0, &files.1);
    if operation == "diff" {
        let change = inputs(&change.0, &change.1);
        let o: DiffOptions = options(options_json)?;
        return report(podplan::diff(&scenario, &change, &o));
    }
    let cluster = podplan::read_scenario(&scenario).map_err(|e| e.to_string())?;
    let o = options_json;
    match operation {
        "explain" => report(podplan::explain(&cluster, &options::<ExplainOptions>(o)?)),
        "place" => report(podplan::place(&cluster, &options::<PlaceOptions>(o)?)),
        "place_pool_sizes" => {
            let (wider, _notes) = podplan::with_pool_sizes(&cluster, None);
            report(podplan::place(&wider, &options::<PlaceOptions>(o)?))
        }
        "simulate" => report(podplan::simulate(&cluster, &options::<PlaceOptions>(o)?)),
        "drain" => report(podplan::drain(&cluster, &options::<DrainOptions>(o)?)),
        "headroom" => report(podplan::headroom(&cluster, &options::<HeadroomOptions>(o)?)),
        "tenancy" => report(podplan::tenancy(&cluster, &options::<TenancyOptions>(o)?)),
        "sizes" => report(podplan::sizes(&cluster, &options::<SizesOptions>(o)?)),
        other => Err(format!("unknown operation {other:?}")),
    }
}

/// Runs `operation` (explain, place, place_pool_sizes, simulate, drain,
/// headroom, tenancy, sizes, diff) on the files `names`/`texts` with
/// `options` (camelCase JSON) and returns the report as JSON text; `diff`
/// also takes the change's files. Raises `ScenarioError` with the library's
/// message. The GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (operation, names, texts, options, change_names=Vec::new(), change_texts=Vec::new()))]
fn run(
    py: Python<'_>,
    operation: &str,
    names: Vec<String>,
    texts: Vec<String>,
    options: &str,
    change_names: Vec<String>,
    change_texts: Vec<String>,
) -> PyResult<String> {
    let files = (names, texts);
    let change = (change_names, change_texts);
    py.detach(|| run_operation(operation, &files, options, &change))
        .map_err(ScenarioError::new_err)
}

/// The native module of the `podplan` package.
#[pymodule]
fn _podplan(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

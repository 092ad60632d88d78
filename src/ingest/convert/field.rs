//! Errors in one field of an object, before the file and the object are
//! attached (see `Builder::add_object`).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A field error before the file and object are attached.
#[derive(Debug)]
pub(super) struct FieldErr {
    /// The field path (`spec.containers[0].resources.requests.cpu`), empty
    /// for the object itself.
    pub(super) field: String,
    /// What is wrong with it.
    pub(super) message: String,
}

/// The error `message` in `field`.
pub(super) fn ferr(field: impl Into<String>, message: impl Into<String>) -> FieldErr {
    FieldErr {
        field: field.into(),
        message: message.into(),
    }
}

/// Deserializes a wire struct, naming the field path of any error.
pub(super) fn de<T: DeserializeOwned>(v: Value) -> Result<T, FieldErr> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        ferr(
            if path == "." { String::new() } else { path },
            e.inner().to_string(),
        )
    })
}

//! Parsers for the values found in exports. Each returns a message fit for a user (Chinese
//! first, English in brackets) and never echoes personal data.

pub mod date;
pub mod document;
pub mod hours;
pub mod id_number;
/// Text normalization lives with the shared vocabulary (community names use it too).
pub use domain::text;

//! The rules: pure functions from records to findings (and checklist evidence). One module
//! per area; each says which checklist items its findings concern.

pub mod access_log;
pub mod accounts;
pub mod assets;
pub mod bcp;
pub mod gl2;
pub mod governance;
pub mod incident;
pub mod vendors;

//! End-to-end tests of the real server over HTTP, on every storage backend.

mod access_log;
mod access_monitoring;
mod accounts;
mod api;
mod assets;
mod audit;
mod auth;
mod checklist;
mod checklist_more;
mod common;
mod directory;
mod gl2;
mod governance;
mod headers;
mod incident;
mod inspection_pack;
mod isolation;
mod matrix;
mod policy;
mod vendors;
mod webauthn;

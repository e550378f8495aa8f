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
mod headers;
mod incident;
mod isolation;
mod matrix;
mod vendors;
mod webauthn;

//! anzen-store

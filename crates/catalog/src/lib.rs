//! anzen-catalog

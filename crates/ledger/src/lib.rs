//! anzen-ledger

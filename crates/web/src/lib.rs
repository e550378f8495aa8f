//! anzen-web

//! The events this crate produces feed `anzen_core::rules::access_log`, which cannot depend
//! on `anzen-ingest`: its `Operation` must name every 操作 the template has, the same way.

use anzen_core::rules::access_log::Operation;
use anzen_ingest::{AccessAction, Choice};

#[test]
fn every_template_action_is_a_monitor_operation() {
    for a in AccessAction::ALL {
        let op = Operation::parse(a.en());
        assert!(op.is_some(), "{} has no Operation", a.en());
        assert_eq!(op.map(Operation::label_ja), Some(a.ja()));
    }
    assert_eq!(AccessAction::ALL.len(), Operation::ALL.len());
}

//! 和暦 and 年度 (fiscal year, April–March). Implemented by the calendar task.

//! Import of an official MHLW checklist workbook as a new edition (upload → column mapping → preview → confirm).

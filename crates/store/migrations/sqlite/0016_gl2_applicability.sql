-- 2省GL 該当性チェック: per vendor, the saved assessments of whether the 2省GL (医療情報を
-- 取り扱う情報システム・サービスの提供事業者における安全管理ガイドライン) applies. A new row per
-- save (history kept); the latest row is the vendor's current outcome. `answers` is JSON
-- (question id → choice code), `outcome` the verdict code of anzen_core::rules::gl2,
-- `reasoning` the text shown before saving, `version` the questionnaire's version.
CREATE TABLE vendor_gl2_assessments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    vendor_id INTEGER NOT NULL REFERENCES vendors(id),
    version TEXT NOT NULL,
    answers TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    note TEXT,
    assessed_at INTEGER NOT NULL,
    assessed_by TEXT NOT NULL
);
CREATE INDEX vendor_gl2_assessments_vendor ON vendor_gl2_assessments(vendor_id, id);

//! Parsers for anzen's imports (取り込み): 資産台帳, アカウント一覧, 職員名簿, アクセスログ and
//! アクセス権限表.
//!
//! Pure: bytes in, typed rows or problems out. The caller does the I/O.
//!
//! - **Formats**: CSV in UTF-8 (with or without BOM) or CP932/Shift_JIS, detected
//!   automatically; JSON Lines (access logs); xlsx (first sheet, or a named one); any of them
//!   gzip-compressed.
//! - **Columns**: matched by the Japanese header or its English alias, ignoring case,
//!   full-width/half-width and spaces. Unknown columns are warnings; missing required or
//!   duplicate columns refuse the file.
//! - **All or nothing**: [`parse_assets`] and friends return every row, or every problem
//!   (up to [`MAX_PROBLEMS`]) with file, line, column, value and a Japanese reason.
//! - **Streaming**: [`AccessLogReader`] yields access events one by one from a reader, with
//!   malformed lines as problems the caller can count and quarantine.
//! - **Templates**: [`template_csv`] and [`template_xlsx`] for download; they parse back.

mod decode;
mod field;
mod problem;
mod reader;
mod records;
mod template;

pub use decode::{Format, Source, TextEncoding};
pub use field::{Choice, Field, parse_time_bound};
pub use problem::{MAX_PROBLEMS, Problem};
pub use reader::{AccessLogReader, Numbered, Options, Parsed, Progress};
pub use records::{
    ACCESS_FIELDS, ACCOUNT_FIELDS, ASSET_FIELDS, AccessAction, AccessEvent, AccessResult,
    AccountRow, AccountStatus, AssetKind, AssetRow, AssetStatus, POLICY_FIELDS, PolicyEntry,
    PolicyKind, PolicyRow, STAFF_FIELDS, StaffRow, TemplateKind,
};
pub use template::{table_csv, table_xlsx, template_csv, template_xlsx};

/// The result of an all-or-nothing parse.
pub type ParseResult<T> = Result<Parsed<T>, Vec<Problem>>;

/// Parses a 資産台帳 (asset inventory) file.
pub fn parse_assets(file_name: &str, bytes: &[u8]) -> ParseResult<AssetRow> {
    reader::parse(file_name, bytes, Options::default())
}

/// Parses a 資産台帳 file with options (sheet, progress).
pub fn parse_assets_with(
    file_name: &str,
    bytes: &[u8],
    opts: Options<'_>,
) -> ParseResult<AssetRow> {
    reader::parse(file_name, bytes, opts)
}

/// Parses an アカウント一覧 (accounts) file.
pub fn parse_accounts(file_name: &str, bytes: &[u8]) -> ParseResult<AccountRow> {
    reader::parse(file_name, bytes, Options::default())
}

/// Parses an アカウント一覧 file with options (sheet, progress).
pub fn parse_accounts_with(
    file_name: &str,
    bytes: &[u8],
    opts: Options<'_>,
) -> ParseResult<AccountRow> {
    reader::parse(file_name, bytes, opts)
}

/// Parses a 職員名簿 (staff roster) file.
pub fn parse_staff(file_name: &str, bytes: &[u8]) -> ParseResult<StaffRow> {
    reader::parse(file_name, bytes, Options::default())
}

/// Parses a 職員名簿 file with options (sheet, progress).
pub fn parse_staff_with(file_name: &str, bytes: &[u8], opts: Options<'_>) -> ParseResult<StaffRow> {
    reader::parse(file_name, bytes, opts)
}

/// Parses a whole アクセスログ (access log) file, all or nothing. For large files use
/// [`AccessLogReader`].
pub fn parse_access_log(file_name: &str, bytes: &[u8]) -> ParseResult<AccessEvent> {
    reader::parse(file_name, bytes, Options::default())
}

/// Parses a whole アクセスログ file with options (sheet, progress).
pub fn parse_access_log_with(
    file_name: &str,
    bytes: &[u8],
    opts: Options<'_>,
) -> ParseResult<AccessEvent> {
    reader::parse(file_name, bytes, opts)
}

/// Parses an アクセス権限表 (access policy) file: one entry per row, every system of the
/// organisation in one file.
pub fn parse_access_policy(file_name: &str, bytes: &[u8]) -> ParseResult<PolicyRow> {
    reader::parse(file_name, bytes, Options::default())
}

/// Parses an アクセス権限表 file with options (sheet, progress).
pub fn parse_access_policy_with(
    file_name: &str,
    bytes: &[u8],
    opts: Options<'_>,
) -> ParseResult<PolicyRow> {
    reader::parse(file_name, bytes, opts)
}

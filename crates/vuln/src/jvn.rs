//! JVN iPedia via the MyJVN API: `getVulnOverviewList` (JVNRSS, RSS 1.0 with the `sec:`
//! module) and `getVulnDetailInfo` (VULDEF). Only id, title, CVE references, CPEs, dates and
//! CVSS are read. Element names are matched by local name, so namespace prefixes do not
//! matter.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::cpe::Cpe;
use crate::feeds::{FeedError, JvnCvss, JvnRecord};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Doc {
    Unknown,
    Rss,
    Vuldef,
}

#[derive(Default)]
struct State {
    rec: Option<JvnRecord>,
    cvss: Option<JvnCvss>,
    /// `sec:references` attributes seen at the start tag.
    ref_id: Option<String>,
    /// Latest `DateLastUpdated` of a VULDEF document.
    latest_update: Option<String>,
    channel_date: Option<String>,
}

fn empty_record() -> JvnRecord {
    JvnRecord {
        id: String::new(),
        title: String::new(),
        cve_ids: Vec::new(),
        cpes: Vec::new(),
        affected_versions_ja: Vec::new(),
        published: None,
        modified: None,
        cvss: Vec::new(),
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
}

fn push_cve(rec: &mut JvnRecord, id: &str) {
    let id = id.trim().to_ascii_uppercase();
    if id.starts_with("CVE-") && !rec.cve_ids.contains(&id) {
        rec.cve_ids.push(id);
    }
}

/// Parses a MyJVN XML document. Returns the feed date and the records.
pub(crate) fn parse_jvn(text: &str) -> Result<(Option<String>, Vec<JvnRecord>), FeedError> {
    let mut reader = Reader::from_str(text);
    let mut doc = Doc::Unknown;
    let mut stack: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut st = State::default();
    let mut out: Vec<JvnRecord> = Vec::new();
    let xml_err = |reader: &Reader<&[u8]>, e: quick_xml::Error| FeedError::Xml {
        position: reader.buffer_position(),
        message: e.to_string(),
    };
    loop {
        let ev = reader.read_event().map_err(|e| xml_err(&reader, e))?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    doc = match name.as_str() {
                        "RDF" => Doc::Rss,
                        "VULDEF-Document" => Doc::Vuldef,
                        other => {
                            return Err(FeedError::UnknownFormat(format!(
                                "XML のルート要素 `{other}` は MyJVN の RSS / VULDEF ではありません"
                            )));
                        }
                    };
                }
                on_start(doc, &name, &e, &mut st, out.len())?;
                stack.push(name);
                buf.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                on_start(doc, &name, &e, &mut st, out.len())?;
                stack.push(name);
                buf.clear();
                on_end(doc, &stack, "", &mut st, &mut out)?;
                stack.pop();
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(t) => buf.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    buf.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                    buf.push_str(s);
                }
            }
            Event::End(_) => {
                let text = std::mem::take(&mut buf);
                on_end(doc, &stack, text.trim(), &mut st, &mut out)?;
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if doc == Doc::Unknown {
        return Err(FeedError::UnknownFormat("XML に要素がありません".into()));
    }
    let date = match doc {
        Doc::Rss => st.channel_date,
        _ => st.latest_update,
    };
    Ok((date, out))
}

fn on_start(
    doc: Doc,
    name: &str,
    e: &BytesStart<'_>,
    st: &mut State,
    index: usize,
) -> Result<(), FeedError> {
    match (doc, name) {
        (Doc::Rss, "item") | (Doc::Vuldef, "Vulinfo") => st.rec = Some(empty_record()),
        (Doc::Rss, "references") => st.ref_id = attr(e, "id"),
        (Doc::Rss, "cvss") => {
            if let Some(rec) = st.rec.as_mut() {
                let score = match attr(e, "score") {
                    Some(s) if !s.is_empty() => {
                        Some(s.parse::<f64>().map_err(|_| FeedError::JvnRecord {
                            index,
                            id: id_or_unknown(rec),
                            field: "sec:cvss@score".into(),
                            message: format!("スコア `{s}` が数値ではありません"),
                        })?)
                    }
                    _ => None,
                };
                rec.cvss.push(JvnCvss {
                    version: attr(e, "version"),
                    score,
                    severity: attr(e, "severity"),
                    vector: attr(e, "vector"),
                });
            }
        }
        (Doc::Vuldef, "Cvss") => {
            st.cvss = Some(JvnCvss {
                version: attr(e, "version"),
                score: None,
                severity: None,
                vector: None,
            });
        }
        _ => {}
    }
    Ok(())
}

fn id_or_unknown(rec: &JvnRecord) -> String {
    if rec.id.is_empty() {
        "ID不明".into()
    } else {
        rec.id.clone()
    }
}

fn on_end(
    doc: Doc,
    stack: &[String],
    text: &str,
    st: &mut State,
    out: &mut Vec<JvnRecord>,
) -> Result<(), FeedError> {
    let Some(name) = stack.last().map(String::as_str) else {
        return Ok(());
    };
    let parent = stack
        .len()
        .checked_sub(2)
        .and_then(|i| stack.get(i))
        .map(String::as_str)
        .unwrap_or("");
    let index = out.len();
    if doc == Doc::Rss && parent == "channel" && name == "date" {
        st.channel_date = Some(text.to_string());
        return Ok(());
    }
    if doc == Doc::Vuldef && name == "Cvss" {
        if let (Some(c), Some(rec)) = (st.cvss.take(), st.rec.as_mut()) {
            rec.cvss.push(c);
        }
        return Ok(());
    }
    if doc == Doc::Vuldef && parent == "Cvss" {
        if let Some(c) = st.cvss.as_mut() {
            match name {
                "Severity" => c.severity = Some(text.to_string()),
                "Vector" => c.vector = Some(text.to_string()),
                "Base" => {
                    c.score = Some(text.parse::<f64>().map_err(|_| FeedError::JvnRecord {
                        index,
                        id: st.rec.as_ref().map(id_or_unknown).unwrap_or_default(),
                        field: "Cvss/Base".into(),
                        message: format!("スコア `{text}` が数値ではありません"),
                    })?);
                }
                _ => {}
            }
        }
        return Ok(());
    }
    let closing_record =
        (doc == Doc::Rss && name == "item") || (doc == Doc::Vuldef && name == "Vulinfo");
    if closing_record {
        if let Some(rec) = st.rec.take() {
            if rec.id.is_empty() {
                return Err(FeedError::JvnRecord {
                    index,
                    id: "ID不明".into(),
                    field: if doc == Doc::Rss {
                        "sec:identifier".into()
                    } else {
                        "VulinfoID".into()
                    },
                    message: "JVNDB の ID がありません".into(),
                });
            }
            if doc == Doc::Vuldef
                && let Some(m) = &rec.modified
                && st.latest_update.as_ref().is_none_or(|l| m > l)
            {
                st.latest_update = Some(m.clone());
            }
            out.push(rec);
        }
        return Ok(());
    }
    let Some(rec) = st.rec.as_mut() else {
        return Ok(());
    };
    match (doc, name) {
        (Doc::Rss, "identifier") => rec.id = text.to_string(),
        (Doc::Vuldef, "VulinfoID") if parent == "Vulinfo" => rec.id = text.to_string(),
        (Doc::Vuldef, "VulinfoID") if parent == "RelatedItem" => push_cve(rec, text),
        (Doc::Rss, "title") if parent == "item" => rec.title = text.to_string(),
        (Doc::Vuldef, "Title") if parent == "VulinfoData" => rec.title = text.to_string(),
        (Doc::Rss, "references") => {
            if let Some(id) = st.ref_id.take() {
                push_cve(rec, &id);
            }
        }
        (Doc::Rss, "cpe") | (Doc::Vuldef, "Cpe") if !text.is_empty() => {
            let cpe = Cpe::parse(text).map_err(|e| FeedError::JvnRecord {
                index,
                id: id_or_unknown(rec),
                field: name.to_string(),
                message: format!("`{text}`: {e}"),
            })?;
            if !rec.cpes.contains(&cpe) {
                rec.cpes.push(cpe);
            }
        }
        (Doc::Vuldef, "VersionNumber") if !text.is_empty() => {
            rec.affected_versions_ja.push(text.to_string());
        }
        (Doc::Rss, "issued") | (Doc::Vuldef, "DateFirstPublished") if !text.is_empty() => {
            rec.published = Some(text.to_string());
        }
        (Doc::Rss, "modified") | (Doc::Vuldef, "DateLastUpdated") if !text.is_empty() => {
            rec.modified = Some(text.to_string());
        }
        _ => {}
    }
    Ok(())
}

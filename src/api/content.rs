//! Sending a blob: ETag, conditional GET, single byte ranges, a safe
//! Content-Disposition.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use stockage_events::Sha256;

use crate::error::Error;
use crate::storage::BlobStore;

/// What to send: which blob, how big, under what name and type.
pub struct Download<'a> {
    pub sha256: Sha256,
    pub size: u64,
    pub filename: &'a str,
    pub content_type: &'a str,
}

#[derive(Debug, PartialEq)]
enum Wanted {
    Whole,
    Part { start: u64, end: u64 },
    Unsatisfiable,
}

/// One `bytes=` range of RFC 9110; several ranges or another unit are
/// answered with the whole body, which the RFC allows.
fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Unsatisfiable;
    };
    let part = |start: u64, end: u64| {
        if size == 0 || start >= size || start > end {
            Wanted::Unsatisfiable
        } else {
            Wanted::Part {
                start,
                end: end.min(size - 1),
            }
        }
    };
    match (first.trim().parse::<u64>(), last.trim().parse::<u64>()) {
        (Ok(start), Ok(end)) => part(start, end),
        (Ok(start), Err(_)) if last.trim().is_empty() => part(start, u64::MAX),
        (Err(_), Ok(suffix)) if first.trim().is_empty() && suffix > 0 => {
            part(size.saturating_sub(suffix), u64::MAX)
        }
        _ => Wanted::Unsatisfiable,
    }
}

/// `attachment` with an ASCII fallback name and the exact name in
/// RFC 5987 / 6266 `filename*`.
pub(crate) fn disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Whether `If-None-Match` names `etag` (or `*`).
pub(crate) fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|tag| tag == etag || tag == "*")
        })
}

pub async fn send(
    req: &HttpRequest,
    blobs: &BlobStore,
    download: Download<'_>,
) -> Result<HttpResponse, Error> {
    let etag = format!("\"{}\"", download.sha256);
    let mut response = if matches_etag(req, &etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if matches_etag(req, &etag) {
        return Ok(response.finish());
    }
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let size = download.size;
    let (status, byte_range) = match wanted(range, size) {
        Wanted::Whole => (None, None),
        Wanted::Part { start, end } => (
            Some(start..end + 1),
            Some(format!("bytes {start}-{end}/{size}")),
        ),
        Wanted::Unsatisfiable => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .content_type("application/problem+json")
                .json(super::Problem {
                    kind: "https://stockage.dev/problems/range-not-satisfiable".into(),
                    title: "Range not satisfiable".into(),
                    status: 416,
                    detail: format!(
                        "the range {:?} is outside the file's {size} bytes",
                        range.unwrap_or("")
                    ),
                    current_revision: None,
                    locked_by: None,
                    expires_at: None,
                }));
        }
    };
    let length = status.as_ref().map_or(size, |r| r.end - r.start);
    let body = blobs.read(&download.sha256, status).await?;
    if let Some(content_range) = byte_range {
        response.status(actix_web::http::StatusCode::PARTIAL_CONTENT);
        response.insert_header((header::CONTENT_RANGE, content_range));
    }
    Ok(response
        .content_type(download.content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition(download.filename)))
        .no_chunking(length)
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges() {
        let part = |start, end| Wanted::Part { start, end };
        assert_eq!(wanted(None, 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-0"), 10), part(0, 0));
        assert_eq!(wanted(Some("bytes=9-9"), 10), part(9, 9));
        assert_eq!(wanted(Some("bytes=5-"), 10), part(5, 9));
        assert_eq!(wanted(Some("bytes=-3"), 10), part(7, 9));
        assert_eq!(wanted(Some("bytes=-30"), 10), part(0, 9));
        assert_eq!(wanted(Some("bytes=2-100"), 10), part(2, 9));
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=5-2"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=x-y"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,4-5"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 10), Wanted::Whole);
    }

    #[test]
    fn dispositions_are_safe() {
        assert_eq!(
            disposition("plan é\"1\".pdf"),
            "attachment; filename=\"plan __1_.pdf\"; filename*=UTF-8''plan%20%C3%A9%221%22.pdf"
        );
    }
}

//! Checks shared by every domain's inputs. Each failure is a `BAD_USER_INPUT` naming the field.

use crate::error::AppError;

/// The longest title (of a review, an action, a piece of evidence).
pub const MAX_TITLE: usize = 300;
/// The longest prose: a summary, recommendation text, action detail, progress narrative or
/// a rating's commentary.
pub const MAX_PROSE: usize = 10_000;
/// The longest link.
pub const MAX_URL: usize = 2048;

/// Checks a required free-text value: trimmed, not empty, at most `max` characters, no control
/// characters (`allow_newlines` lets multi-line text through). Returns the trimmed text.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    text(field, raw, max, false)
}

/// As [`required_text`], for a value that may be absent; blank counts as absent.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => text(field, raw, max, false).map(Some),
    }
}

/// As [`required_prose`], for a value that may be absent; blank counts as absent.
pub fn optional_prose(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    raw.filter(|s| !s.trim().is_empty())
        .map(|s| required_prose(field, s, max))
        .transpose()
}

/// As [`required_text`], for narrative text where line breaks belong.
pub fn required_prose(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    text(field, raw, max, true)
}

fn text(field: &str, raw: &str, max: usize, allow_newlines: bool) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    let refused = |c: char| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t'));
    if text.chars().any(refused) {
        return Err(AppError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// Checks a link: `http` or `https`, at most `max` characters, no spaces.
pub fn url(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let url = raw.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() <= "https://".len() {
        return Err(AppError::bad_input(field, "must be an http or https link"));
    }
    if url.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::bad_input(field, "must not contain spaces"));
    }
    Ok(url.to_owned())
}

/// Checks that `date` is not after `latest` (today, for a date that records the past).
pub fn not_after(
    field: &str,
    date: chrono::NaiveDate,
    latest: chrono::NaiveDate,
) -> Result<(), AppError> {
    if date > latest {
        return Err(AppError::bad_input(
            field,
            format!("must not be after {latest}"),
        ));
    }
    Ok(())
}

/// Checks that `date` is not before `earliest`, naming what `earliest` is.
pub fn not_before(
    field: &str,
    date: chrono::NaiveDate,
    earliest: chrono::NaiveDate,
    what: &str,
) -> Result<(), AppError> {
    if date < earliest {
        return Err(AppError::bad_input(
            field,
            format!("must not be before {what} ({earliest})"),
        ));
    }
    Ok(())
}

/// Checks a page size: 1 to `max`.
pub fn page_size(
    field: &str,
    first: Option<i32>,
    default: usize,
    max: usize,
) -> Result<usize, AppError> {
    match first {
        None => Ok(default),
        Some(n) if n >= 1 && (n as usize) <= max => Ok(n as usize),
        Some(_) => Err(AppError::bad_input(
            field,
            format!("must be between 1 and {max}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_trims_and_bounds() {
        assert_eq!(required_text("f", "  Essex  ", 10).unwrap(), "Essex");
        assert!(required_text("f", "   ", 10).is_err());
        assert!(required_text("f", "abcdefghijk", 10).is_err());
        assert!(required_text("f", "line\nbreak", 20).is_err());
        assert_eq!(
            required_prose("f", "line\nbreak", 20).unwrap(),
            "line\nbreak"
        );
    }

    #[test]
    fn blank_optional_text_is_absent() {
        assert_eq!(optional_text("f", Some("  "), 5).unwrap(), None);
        assert_eq!(optional_text("f", None, 5).unwrap(), None);
        assert!(optional_text("f", Some("toolong"), 5).is_err());
    }

    #[test]
    fn links_are_http_or_https() {
        assert_eq!(
            url("u", " https://example.org/plan.pdf ", 100).unwrap(),
            "https://example.org/plan.pdf"
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://x",
            "https://",
            "https://a b",
            "example.org",
        ] {
            assert!(url("u", bad, 100).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size("first", None, 20, 100).unwrap(), 20);
        assert_eq!(page_size("first", Some(100), 20, 100).unwrap(), 100);
        assert!(page_size("first", Some(0), 20, 100).is_err());
        assert!(page_size("first", Some(101), 20, 100).is_err());
        assert!(page_size("first", Some(-5), 20, 100).is_err());
    }
}

//! Keyset pages: a query asks for one row more than the page holds; if it
//! came, the page is cut and the last row kept gives the next cursor.

use crate::error::Error;

/// The page size asked for (`default` when none), or 400 when it is not
/// between 1 and `max`.
pub fn limit(asked: Option<i64>, default: i64, max: i64) -> Result<i64, Error> {
    let limit = asked.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::Invalid(format!("limit must be between 1 and {max}")))
    }
}

/// Cuts `rows` (fetched with `limit + 1`) to `limit` and returns the cursor
/// of the next page, if there is one.
pub fn next_cursor<T, C>(rows: &mut Vec<T>, limit: i64, cursor: impl Fn(&T) -> C) -> Option<C> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_the_default_or_one_within_bounds() {
        assert_eq!(limit(None, 50, 200).unwrap(), 50);
        assert_eq!(limit(Some(200), 50, 200).unwrap(), 200);
        for bad in [0, -1, 201] {
            assert!(limit(Some(bad), 50, 200).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_page_is_cut_only_when_more_came() {
        let mut rows = vec![1, 2, 3];
        assert_eq!(next_cursor(&mut rows, 3, |r| *r), None);
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(next_cursor(&mut rows, 2, |r| *r * 10), Some(20));
        assert_eq!(rows, [1, 2]);
    }
}

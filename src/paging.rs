//! Keyset pages: a query asks for one row more than the page holds; if it
//! came, the page is cut and the last row kept gives the next cursor.

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
    fn a_page_is_cut_only_when_more_came() {
        let mut rows = vec![1, 2, 3];
        assert_eq!(next_cursor(&mut rows, 3, |r| *r), None);
        assert_eq!(rows, [1, 2, 3]);
        assert_eq!(next_cursor(&mut rows, 2, |r| *r * 10), Some(20));
        assert_eq!(rows, [1, 2]);
    }
}

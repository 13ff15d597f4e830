//! The document list's orders and their keyset cursors: `?sort=` names a
//! column (`created`, `updated`, `title`, `size`, `type`), a leading `-`
//! reverses it; the default is newest first. A cursor carries the last
//! row's value of that column and its id, and belongs to one order.
use time::OffsetDateTime;
use uuid::Uuid;

use super::view::DocumentRow;
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Created,
    Updated,
    Title,
    Size,
    Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub column: Column,
    pub descending: bool,
}

impl Default for Order {
    fn default() -> Self {
        Self {
            column: Column::Created,
            descending: true,
        }
    }
}

const COLUMNS: [(&str, Column); 5] = [
    ("created", Column::Created),
    ("updated", Column::Updated),
    ("title", Column::Title),
    ("size", Column::Size),
    ("type", Column::Kind),
];

impl Order {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        let column = COLUMNS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "sort {raw:?} is not one of created, updated, title, size, type (a leading - reverses it)"
                ))
            })?;
        Ok(Self { column, descending })
    }

    fn name(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|(_, c)| *c == self.column)
            .map(|(n, _)| *n)
            .unwrap_or("created")
    }

    /// The SQL expression sorted on, over `DOCUMENT_FROM` (never from input).
    pub fn expression(self) -> &'static str {
        match self.column {
            Column::Created => "r.created_at",
            Column::Updated => "r.updated_at",
            Column::Title => "lower(r.title)",
            Column::Size => "r.size",
            Column::Kind => "r.kind",
        }
    }

    /// The cursor parameter `$n` (text) as a value of the sorted expression.
    pub fn cast(self, n: usize) -> String {
        match self.column {
            Column::Created | Column::Updated => {
                format!("('epoch'::timestamptz + ${n}::bigint * interval '1 microsecond')")
            }
            Column::Size => format!("${n}::bigint"),
            Column::Title | Column::Kind => format!("${n}::text"),
        }
    }

    pub fn direction(self) -> &'static str {
        if self.descending { "DESC" } else { "ASC" }
    }

    pub fn after(self) -> &'static str {
        if self.descending { "<" } else { ">" }
    }

    pub fn cursor(self, row: &DocumentRow) -> Cursor {
        let micros = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000).to_string();
        let key = match self.column {
            Column::Created => micros(row.created_at),
            Column::Updated => micros(row.updated_at),
            Column::Title => row.title.to_lowercase(),
            Column::Size => row.size.to_string(),
            Column::Kind => row.kind.clone(),
        };
        Cursor {
            order: self,
            key,
            id: row.id,
        }
    }
}

/// A keyset position in one order: the last row's key and id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub order: Order,
    pub key: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let sign = if self.order.descending { "-" } else { "" };
        format!(
            "{sign}{}~{}~{}",
            self.order.name(),
            self.id.simple(),
            self.key
        )
    }

    /// Parses a cursor of `order`; one from another order is refused.
    pub fn parse(raw: &str, order: Order) -> Result<Self, Error> {
        let bad = || Error::Invalid(format!("cursor {raw:?} is not one this server gave out"));
        let mut parts = raw.splitn(3, '~');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let found = Order::parse(name).map_err(|_| bad())?;
        if found != order {
            return Err(Error::Invalid(format!(
                "cursor {raw:?} belongs to another sort than {:?}; start again without it",
                order.name()
            )));
        }
        let numeric = !matches!(order.column, Column::Title | Column::Kind);
        if numeric && key.parse::<i64>().is_err() {
            return Err(bad());
        }
        Ok(Self {
            order,
            key: key.to_owned(),
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_cursors_round_trip() {
        let order = Order::parse("-title").unwrap();
        assert_eq!((order.column, order.descending), (Column::Title, true));
        let cursor = Cursor {
            order,
            key: "a~b_c".into(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::parse(&cursor.encode(), order).unwrap(), cursor);
        assert!(Cursor::parse(&cursor.encode(), Order::parse("title").unwrap()).is_err());
        assert!(Order::parse("colour").is_err());
        let size = Order::parse("size").unwrap();
        assert!(Cursor::parse(&format!("size~{}~x", Uuid::nil().simple()), size).is_err());
        assert!(Cursor::parse("garbage", Order::default()).is_err());
    }
}

//! Why bytes left for good: the rule named by a purge event.
use std::fmt;

use serde::{Deserialize, Serialize};

/// The rule that caused a purge, recorded in the event so history says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PurgeRule {
    /// A project admin purged the document at once.
    Manual,
    /// The project's retention policy: neither among the last
    /// `keep_revisions` revisions nor younger than `keep_days` days.
    Retention {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep_revisions: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep_days: Option<u32>,
    },
    /// In the trash for more than `trash_days` days.
    Trash { trash_days: u32 },
}

impl fmt::Display for PurgeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PurgeRule::Manual => f.write_str("a project admin purged it"),
            PurgeRule::Retention {
                keep_revisions,
                keep_days,
            } => {
                f.write_str("the project's retention policy")?;
                let mut keeps = Vec::new();
                if let Some(n) = keep_revisions {
                    keeps.push(format!("the last {n} revisions"));
                }
                if let Some(d) = keep_days {
                    keeps.push(format!("revisions younger than {d} days"));
                }
                if !keeps.is_empty() {
                    write!(f, " keeps only {}", keeps.join(" and "))?;
                }
                Ok(())
            }
            PurgeRule::Trash { trash_days } => {
                write!(f, "it was in the trash for more than {trash_days} days")
            }
        }
    }
}

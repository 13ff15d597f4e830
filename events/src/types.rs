use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value from the outside world was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A project's URL name: 3–64 characters of `a-z`, `0-9` and `-`,
/// starting with a letter or digit and not ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok_len = (3..=64).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ok_ends = !raw.starts_with('-') && !raw.ends_with('-');
        if ok_len && ok_chars && ok_ends {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ParseError(format!(
                "slug {raw:?} must be 3-64 characters of a-z, 0-9 and '-', not starting or ending with '-'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectSlug {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ProjectSlug> for String {
    fn from(value: ProjectSlug) -> Self {
        value.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The user id of the platform's identity provider (the JWT `sub`):
/// 1–128 printable characters without whitespace, `:` or `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok_len = (1..=128).contains(&raw.chars().count());
        let ok_chars = raw
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != ':' && c != '/');
        if ok_len && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ParseError(format!(
                "user id {raw:?} must be 1-128 characters without whitespace, ':' or '/'"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<UserId> for String {
    fn from(value: UserId) -> Self {
        value.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's role in a project (ProjectTeam), in increasing power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| {
                ParseError(format!(
                    "role {raw:?} is not one of viewer, editor, admin, owner"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn can_write(self) -> bool {
        self >= Role::Editor
    }

    pub fn can_manage(self) -> bool {
        self >= Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a document is in its release lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleState {
    /// Work in progress: every new document starts here.
    Wip,
    InReview,
    /// Frozen at one revision under a release letter.
    Released,
    Obsolete,
}

impl LifecycleState {
    pub const ALL: [LifecycleState; 4] = [
        LifecycleState::Wip,
        LifecycleState::InReview,
        LifecycleState::Released,
        LifecycleState::Obsolete,
    ];

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                ParseError(format!(
                    "state {raw:?} is not one of wip, in_review, released, obsolete"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleState::Wip => "wip",
            LifecycleState::InReview => "in_review",
            LifecycleState::Released => "released",
            LifecycleState::Obsolete => "obsolete",
        }
    }

    /// Released and obsolete documents take no changes until revised.
    pub fn is_frozen(self) -> bool {
        matches!(self, LifecycleState::Released | LifecycleState::Obsolete)
    }
}

impl fmt::Display for LifecycleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(ProjectSlug::parse("bridge-42").is_ok());
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "ABC",
            "a b c",
            "a/bc",
            &"x".repeat(65),
        ] {
            assert!(ProjectSlug::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn user_ids() {
        assert!(UserId::parse("alice@example.com").is_ok());
        for bad in ["", "a b", "user:x", "a/b", "tab\t"] {
            assert!(UserId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn roles_order_and_round_trip() {
        assert!(Role::Viewer < Role::Editor && Role::Admin < Role::Owner);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }
}

/// What a principal may do with a document, in increasing power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Denies: the document is hidden.
    None,
    Read,
    Write,
    /// Read, write, and manage the document's ACL.
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Permission::None,
        Permission::Read,
        Permission::Write,
        Permission::Admin,
    ];

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| {
                ParseError(format!(
                    "permission {raw:?} is not one of none, read, write, admin"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::None => "none",
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Admin => "admin",
        }
    }

    /// What a project role may do where no ACL entry says otherwise.
    pub fn default_for(role: Role) -> Self {
        match role {
            Role::Viewer => Permission::Read,
            Role::Editor => Permission::Write,
            Role::Admin | Role::Owner => Permission::Admin,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whom an ACL entry is about: one user, or everyone with a project role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Principal {
    User(UserId),
    Role(Role),
}

impl Principal {
    /// `user:<id>` or `role:<role>`.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.split_once(':') {
            Some(("user", id)) => Ok(Principal::User(UserId::parse(id)?)),
            Some(("role", role)) => Ok(Principal::Role(Role::parse(role)?)),
            _ => Err(ParseError(format!(
                "principal {raw:?} must be user:<id> or role:<viewer|editor|admin|owner>"
            ))),
        }
    }
}

impl TryFrom<String> for Principal {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Principal> for String {
    fn from(value: Principal) -> Self {
        value.to_string()
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(id) => write!(f, "user:{id}"),
            Principal::Role(role) => write!(f, "role:{role}"),
        }
    }
}

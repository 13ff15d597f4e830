//! Who may do what with a document: a pure function of the caller's
//! project role and the document's ACL. No I/O; the access gate feeds it.
use std::fmt;

use serde::Serialize;
use stockage_events::{Permission, Principal, Role, UserId};

pub use crate::domain::AclEntry;

/// The rule that decided a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Because {
    /// Not in the project: no ACL can reach outside it.
    NotAMember,
    /// Owners always keep admin, so nobody can be locked out.
    Owner,
    /// Project admins keep admin on every document too: a document-level
    /// grant cannot lock the project's administrators out (decision 0048).
    ProjectAdmin,
    /// An entry for this very user.
    UserEntry(Permission),
    /// An entry for the user's project role.
    RoleEntry(Role, Permission),
    /// No entry applies: the project role's default.
    RoleDefault(Role),
}

impl fmt::Display for Because {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Because::NotAMember => f.write_str("not a member of the project"),
            Because::Owner => f.write_str("project owners always have admin"),
            Because::ProjectAdmin => f.write_str("project admins always have admin"),
            Because::UserEntry(p) => write!(f, "the document's ACL gives this user {p}"),
            Because::RoleEntry(role, p) => write!(f, "the document's ACL gives role {role} {p}"),
            Because::RoleDefault(role) => write!(
                f,
                "no ACL entry applies; role {role} has {} by default",
                Permission::default_for(*role)
            ),
        }
    }
}

/// The permission and the rule behind it, as the API shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    #[schema(value_type = String)]
    pub permission: Permission,
    pub because: String,
}

/// A user entry beats a role entry, which beats the role's default; `none`
/// denies; owners and project admins always have admin; non-members have
/// nothing.
pub fn effective(user: &UserId, role: Option<Role>, acl: &[AclEntry]) -> (Permission, Because) {
    let Some(role) = role else {
        return (Permission::None, Because::NotAMember);
    };
    match role {
        Role::Owner => return (Permission::Admin, Because::Owner),
        Role::Admin => return (Permission::Admin, Because::ProjectAdmin),
        Role::Viewer | Role::Editor => {}
    }
    let entry = |principal: &Principal| {
        acl.iter()
            .find(|e| &e.principal == principal)
            .map(|e| e.permission)
    };
    if let Some(permission) = entry(&Principal::User(user.clone())) {
        return (permission, Because::UserEntry(permission));
    }
    if let Some(permission) = entry(&Principal::Role(role)) {
        return (permission, Because::RoleEntry(role, permission));
    }
    (Permission::default_for(role), Because::RoleDefault(role))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn entry(principal: &str, permission: Permission) -> AclEntry {
        AclEntry {
            principal: Principal::parse(principal).unwrap(),
            permission,
        }
    }

    #[test]
    fn the_rules_in_order() {
        let ann = user("ann");
        let acl = [
            entry("role:viewer", Permission::None),
            entry("user:ann", Permission::Write),
        ];
        assert_eq!(
            effective(&ann, Some(Role::Viewer), &acl),
            (Permission::Write, Because::UserEntry(Permission::Write))
        );
        assert_eq!(
            effective(&user("bob"), Some(Role::Viewer), &acl),
            (
                Permission::None,
                Because::RoleEntry(Role::Viewer, Permission::None)
            )
        );
        assert_eq!(
            effective(&user("bob"), Some(Role::Editor), &acl),
            (Permission::Write, Because::RoleDefault(Role::Editor))
        );
        assert_eq!(
            effective(&ann, None, &acl),
            (Permission::None, Because::NotAMember)
        );
        let deny_owner = [
            entry("user:olga", Permission::None),
            entry("role:owner", Permission::None),
        ];
        assert_eq!(
            effective(&user("olga"), Some(Role::Owner), &deny_owner),
            (Permission::Admin, Because::Owner)
        );
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    fn any_permission() -> impl Strategy<Value = Permission> {
        prop::sample::select(Permission::ALL.to_vec())
    }

    fn any_user() -> impl Strategy<Value = UserId> {
        prop::sample::select(vec!["ann", "bob", "cy"]).prop_map(|id| UserId::parse(id).unwrap())
    }

    fn any_acl() -> impl Strategy<Value = Vec<AclEntry>> {
        let principal = prop_oneof![
            any_user().prop_map(Principal::User),
            any_role().prop_map(Principal::Role),
        ];
        prop::collection::btree_map(principal, any_permission(), 0..6).prop_map(|map| {
            map.into_iter()
                .map(|(principal, permission)| AclEntry {
                    principal,
                    permission,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn owners_and_project_admins_always_have_admin(user in any_user(), acl in any_acl()) {
            prop_assert_eq!(effective(&user, Some(Role::Owner), &acl).0, Permission::Admin);
            prop_assert_eq!(effective(&user, Some(Role::Admin), &acl), (Permission::Admin, Because::ProjectAdmin));
        }

        #[test]
        fn non_members_never_have_anything(user in any_user(), acl in any_acl()) {
            prop_assert_eq!(effective(&user, None, &acl).0, Permission::None);
        }

        #[test]
        fn a_user_entry_decides_when_present(user in any_user(), role in any_role(), acl in any_acl(), p in any_permission()) {
            prop_assume!(matches!(role, Role::Viewer | Role::Editor));
            let mut acl: Vec<AclEntry> = acl.into_iter().filter(|e| e.principal != Principal::User(user.clone())).collect();
            acl.push(AclEntry { principal: Principal::User(user.clone()), permission: p });
            prop_assert_eq!(effective(&user, Some(role), &acl), (p, Because::UserEntry(p)));
        }

        #[test]
        fn without_applicable_entries_it_is_monotonic_in_the_role(user in any_user(), a in any_role(), b in any_role(), acl in any_acl()) {
            let applies = |e: &AclEntry, role| e.principal == Principal::User(user.clone()) || e.principal == Principal::Role(role);
            let acl: Vec<AclEntry> = acl.into_iter().filter(|e| !applies(e, a) && !applies(e, b)).collect();
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(effective(&user, Some(low), &acl).0 <= effective(&user, Some(high), &acl).0);
        }
    }
}

//! A project's retention settings, folded from its stream: the policy
//! (admins), the legal hold and the quota (owners).
use stockage_events::{Event, Role};

use super::DomainError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_revisions: Option<u32>,
    pub keep_days: Option<u32>,
    pub trash_days: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub policy: Policy,
    /// `Some(reason)` while the project is on legal hold.
    pub hold: Option<Option<String>>,
    pub quota_mb: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Policy(Policy),
    Hold { on: bool, reason: Option<String> },
    Quota(Option<u64>),
}

impl Settings {
    pub fn evolve(&mut self, event: &Event) {
        match event {
            Event::RetentionPolicySet {
                keep_revisions,
                keep_days,
                trash_days,
            } => {
                self.policy = Policy {
                    keep_revisions: *keep_revisions,
                    keep_days: *keep_days,
                    trash_days: *trash_days,
                }
            }
            Event::LegalHoldSet { on, reason } => self.hold = on.then(|| reason.clone()),
            Event::QuotaSet { quota_mb } => self.quota_mb = *quota_mb,
            _ => {}
        }
    }

    /// `role` is the caller's in the project; nothing when nothing changes.
    pub fn decide(&self, role: Role, change: Change) -> Result<Vec<Event>, DomainError> {
        match change {
            Change::Policy(policy) => {
                if !role.can_manage() {
                    return Err(DomainError::Forbidden(format!(
                        "the retention policy needs the admin or owner role; you are {role}"
                    )));
                }
                if [policy.keep_revisions, policy.keep_days, policy.trash_days].contains(&Some(0)) {
                    return Err(DomainError::Invalid(
                        "keep_revisions, keep_days and trash_days are at least 1 (leave one out to keep everything)".into(),
                    ));
                }
                Ok((policy != self.policy)
                    .then_some(Event::RetentionPolicySet {
                        keep_revisions: policy.keep_revisions,
                        keep_days: policy.keep_days,
                        trash_days: policy.trash_days,
                    })
                    .into_iter()
                    .collect())
            }
            Change::Hold { on, reason } => {
                owner(role, "a legal hold")?;
                let wanted = on.then(|| reason.clone());
                Ok((wanted != self.hold)
                    .then_some(Event::LegalHoldSet {
                        on,
                        reason: reason.filter(|_| on),
                    })
                    .into_iter()
                    .collect())
            }
            Change::Quota(quota_mb) => {
                owner(role, "the quota")?;
                Ok((quota_mb != self.quota_mb)
                    .then_some(Event::QuotaSet { quota_mb })
                    .into_iter()
                    .collect())
            }
        }
    }
}

fn owner(role: Role, what: &str) -> Result<(), DomainError> {
    if role == Role::Owner {
        return Ok(());
    }
    Err(DomainError::Forbidden(format!(
        "{what} is set by a project owner; you are {role}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(events: &[Event]) -> Settings {
        let mut settings = Settings::default();
        events.iter().for_each(|e| settings.evolve(e));
        settings
    }

    #[test]
    fn admins_set_the_policy_owners_the_hold_and_quota() {
        let settings = Settings::default();
        let policy = Policy {
            keep_revisions: Some(3),
            ..Policy::default()
        };
        let events = settings
            .decide(Role::Admin, Change::Policy(policy))
            .unwrap();
        assert_eq!(fold(&events).policy, policy);
        assert!(
            fold(&events)
                .decide(Role::Admin, Change::Policy(policy))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            settings.decide(Role::Editor, Change::Policy(policy)),
            Err(DomainError::Forbidden(_))
        ));
        let zero = Policy {
            keep_days: Some(0),
            ..Policy::default()
        };
        assert!(matches!(
            settings.decide(Role::Owner, Change::Policy(zero)),
            Err(DomainError::Invalid(_))
        ));
        let hold = Change::Hold {
            on: true,
            reason: Some("audit".into()),
        };
        assert!(matches!(
            settings.decide(Role::Admin, hold.clone()),
            Err(DomainError::Forbidden(_))
        ));
        let held = fold(&settings.decide(Role::Owner, hold).unwrap());
        assert_eq!(held.hold, Some(Some("audit".into())));
        let off = held
            .decide(
                Role::Owner,
                Change::Hold {
                    on: false,
                    reason: Some("x".into()),
                },
            )
            .unwrap();
        assert_eq!(
            off,
            vec![Event::LegalHoldSet {
                on: false,
                reason: None
            }]
        );
        assert!(matches!(
            settings.decide(Role::Admin, Change::Quota(Some(5))),
            Err(DomainError::Forbidden(_))
        ));
        assert_eq!(
            fold(
                &settings
                    .decide(Role::Owner, Change::Quota(Some(5)))
                    .unwrap()
            )
            .quota_mb,
            Some(5)
        );
    }
}

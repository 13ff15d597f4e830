use super::*;

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn replay(events: &[Event]) -> Project {
    events.iter().fold(Project::default(), evolve)
}

fn created() -> Vec<Event> {
    decide(
        &Project::default(),
        ProjectCommand::Create {
            slug: ProjectSlug::parse("bridge").unwrap(),
            title: "Bridge".into(),
            description: None,
            category: None,
            by: user("olga"),
        },
    )
    .unwrap()
}

fn with(mut history: Vec<Event>, command: ProjectCommand) -> Result<Vec<Event>, DomainError> {
    let events = decide(&replay(&history), command)?;
    history.extend(events);
    Ok(history)
}

#[test]
fn creator_becomes_owner_and_creation_is_once() {
    let history = created();
    let state = replay(&history);
    assert_eq!(state.members.get(&user("olga")), Some(&Role::Owner));
    assert_eq!(state.version, 2);
    let again = decide(
        &state,
        ProjectCommand::Create {
            slug: ProjectSlug::parse("bridge").unwrap(),
            title: "x".into(),
            description: None,
            category: None,
            by: user("olga"),
        },
    );
    assert!(matches!(again, Err(DomainError::AlreadyExists(_))));
}

#[test]
fn add_change_and_no_op() {
    let set = |u: &str, role| ProjectCommand::SetMember {
        user: user(u),
        role,
        by: user("olga"),
    };
    let history = with(created(), set("vic", Role::Viewer)).unwrap();
    let changed = decide(&replay(&history), set("vic", Role::Editor)).unwrap();
    assert_eq!(
        changed,
        vec![Event::MemberRoleChanged {
            user_id: user("vic"),
            from: Role::Viewer,
            to: Role::Editor
        }]
    );
    assert_eq!(
        decide(&replay(&history), set("vic", Role::Viewer)).unwrap(),
        vec![]
    );
}

#[test]
fn only_managers_manage_and_only_owners_touch_owners() {
    let olga = |cmd: fn(UserId) -> ProjectCommand| cmd(user("olga"));
    let history = with(
        created(),
        olga(|by| ProjectCommand::SetMember {
            user: user("ed"),
            role: Role::Editor,
            by,
        }),
    )
    .unwrap();
    let history = with(
        history,
        olga(|by| ProjectCommand::SetMember {
            user: user("ada"),
            role: Role::Admin,
            by,
        }),
    )
    .unwrap();
    let state = replay(&history);
    let by_editor = ProjectCommand::SetMember {
        user: user("x"),
        role: Role::Viewer,
        by: user("ed"),
    };
    assert!(matches!(
        decide(&state, by_editor),
        Err(DomainError::Forbidden(_))
    ));
    let admin_makes_owner = ProjectCommand::SetMember {
        user: user("ed"),
        role: Role::Owner,
        by: user("ada"),
    };
    assert!(matches!(
        decide(&state, admin_makes_owner),
        Err(DomainError::Forbidden(_))
    ));
    let admin_removes_owner = ProjectCommand::RemoveMember {
        user: user("olga"),
        by: user("ada"),
    };
    assert!(matches!(
        decide(&state, admin_removes_owner),
        Err(DomainError::Forbidden(_))
    ));
    let outsider = ProjectCommand::RemoveMember {
        user: user("ed"),
        by: user("mallory"),
    };
    assert!(matches!(
        decide(&state, outsider),
        Err(DomainError::NotFound(_))
    ));
    let admin_adds_viewer = ProjectCommand::SetMember {
        user: user("vic"),
        role: Role::Viewer,
        by: user("ada"),
    };
    assert!(decide(&state, admin_adds_viewer).is_ok());
}

#[test]
fn last_owner_stays() {
    let state = replay(&created());
    let demote = ProjectCommand::SetMember {
        user: user("olga"),
        role: Role::Admin,
        by: user("olga"),
    };
    assert!(matches!(
        decide(&state, demote),
        Err(DomainError::Conflict(_))
    ));
    let leave = ProjectCommand::RemoveMember {
        user: user("olga"),
        by: user("olga"),
    };
    assert!(matches!(
        decide(&state, leave.clone()),
        Err(DomainError::Conflict(_))
    ));

    let history = with(
        created(),
        ProjectCommand::SetMember {
            user: user("otto"),
            role: Role::Owner,
            by: user("olga"),
        },
    )
    .unwrap();
    assert!(decide(&replay(&history), leave).is_ok());
}

//! Where the bridge publishes: the `STOCKAGE_CHANNELS_*` variables. They
//! must match the platform's `CHANNEL_LAYERS` settings (prefix, expiry,
//! group expiry, capacity), whose defaults are `channels_redis`'s.
use std::time::Duration;

use anyhow::Context;
use uuid::Uuid;

use crate::env::{Secret, positive, var};

#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// `STOCKAGE_CHANNELS_REDIS_URL`: the channel layer's Redis (`redis://`,
    /// `unix://`); may carry a password.
    pub redis_url: Secret,
    /// `STOCKAGE_CHANNELS_GROUP`: the group of a project's events.
    pub group: GroupTemplate,
    /// `STOCKAGE_CHANNELS_PREFIX`: the layer's key prefix (`prefix`).
    pub prefix: String,
    /// `STOCKAGE_CHANNELS_CAPACITY`: messages a channel holds before new
    /// ones are dropped for it (`capacity`).
    pub capacity: u64,
    /// `STOCKAGE_CHANNELS_EXPIRY`: seconds an unread message lives (`expiry`).
    pub expiry: u64,
    /// `STOCKAGE_CHANNELS_GROUP_EXPIRY`: seconds a group membership lives
    /// (`group_expiry`).
    pub group_expiry: u64,
    /// How often the follower looks for new events, and how soon it
    /// retries after Redis failed.
    pub poll: Duration,
}

impl BridgeConfig {
    /// The bridge's settings, or `None` when `STOCKAGE_CHANNELS_REDIS_URL`
    /// is unset: the bridge is off.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let Some(url) = var("STOCKAGE_CHANNELS_REDIS_URL") else {
            return Ok(None);
        };
        let group = var("STOCKAGE_CHANNELS_GROUP").unwrap_or_else(|| DEFAULT_GROUP.into());
        let mut config = Self::new(Secret::new(url), &group)?;
        config.prefix = var("STOCKAGE_CHANNELS_PREFIX").unwrap_or(config.prefix);
        config.capacity = positive("STOCKAGE_CHANNELS_CAPACITY", config.capacity)?;
        config.expiry = positive("STOCKAGE_CHANNELS_EXPIRY", config.expiry)?;
        config.group_expiry = positive("STOCKAGE_CHANNELS_GROUP_EXPIRY", config.group_expiry)?;
        Ok(Some(config))
    }

    /// `channels_redis`'s defaults, publishing to `group` on `redis_url`.
    pub fn new(redis_url: Secret, group: &str) -> anyhow::Result<Self> {
        redis::Client::open(redis_url.expose())
            .context("STOCKAGE_CHANNELS_REDIS_URL is not a Redis URL this program can use")?;
        Ok(Self {
            redis_url,
            group: GroupTemplate::parse(group)?,
            prefix: "asgi".into(),
            capacity: 100,
            expiry: 60,
            group_expiry: 86_400,
            poll: Duration::from_millis(500),
        })
    }
}

pub const DEFAULT_GROUP: &str = "project_{slug}";

/// A group name with `{slug}` and/or `{project_id}` in it, checked once
/// against the rules of Channels group names so every name it makes is
/// valid: ASCII letters, digits, `-`, `_`, `.`, shorter than 100.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTemplate(String);

/// Channels refuses group names of this length or more.
const MAX_NAME: usize = 100;
/// The longest project slug (`ProjectSlug`).
const MAX_SLUG: usize = 64;

impl GroupTemplate {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let bad = |why: &str| anyhow::anyhow!("STOCKAGE_CHANNELS_GROUP={raw:?} {why}");
        if !raw.contains("{slug}") && !raw.contains("{project_id}") {
            return Err(bad("names no project: put {slug} or {project_id} in it"));
        }
        let template = Self(raw.to_owned());
        let longest = template.render(&"x".repeat(MAX_SLUG), Uuid::nil());
        if !valid_group_name(&longest) {
            return Err(bad(
                "must make group names of ASCII letters, digits, '-', '_' and '.', \
                 shorter than 100 characters with a 64-character slug",
            ));
        }
        Ok(template)
    }

    /// The group of the project `slug` (id `project_id`).
    pub fn render(&self, slug: &str, project_id: Uuid) -> String {
        self.0
            .replace("{slug}", slug)
            .replace("{project_id}", &project_id.to_string())
    }
}

/// `channels.layers.BaseChannelLayer.require_valid_group_name`.
fn valid_group_name(name: &str) -> bool {
    name.len() < MAX_NAME
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_group_is_the_platforms() {
        let template = GroupTemplate::parse(DEFAULT_GROUP).unwrap();
        assert_eq!(
            template.render("harbour-bridge", Uuid::nil()),
            "project_harbour-bridge"
        );
    }

    #[test]
    fn a_group_may_name_the_project_by_id() {
        let id = Uuid::new_v4();
        let template = GroupTemplate::parse("stockage.{project_id}").unwrap();
        assert_eq!(template.render("s", id), format!("stockage.{id}"));
    }

    #[test]
    fn bad_templates_are_refused_with_the_variable_named() {
        for raw in [
            "project",
            "project {slug}",
            "p/{slug}",
            &format!("{}{{slug}}", "x".repeat(40)),
        ] {
            let error = GroupTemplate::parse(raw).unwrap_err().to_string();
            assert!(error.contains("STOCKAGE_CHANNELS_GROUP"), "{raw}: {error}");
        }
    }

    #[test]
    fn the_url_must_be_a_redis_url() {
        assert!(
            BridgeConfig::new(
                Secret::new("redis://127.0.0.1:6379/0".into()),
                DEFAULT_GROUP
            )
            .is_ok()
        );
        let error = BridgeConfig::new(Secret::new("http://127.0.0.1".into()), DEFAULT_GROUP)
            .unwrap_err()
            .to_string();
        assert!(error.contains("STOCKAGE_CHANNELS_REDIS_URL"), "{error}");
    }
}

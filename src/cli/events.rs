use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::PgListener;
use stockage_events::RecordedEvent;
use stockage_store::log::{self, Filter};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::out::out;
use crate::db;
use crate::settings::Settings;
use stockage_store::NOTIFY_CHANNEL;

#[derive(clap::Args)]
pub struct Args {
    /// Only this project's events (by slug).
    #[arg(long)]
    project: Option<String>,
    /// Only this document's events, and those of its share links.
    #[arg(long)]
    document: Option<Uuid>,
    /// Only events caused by this user.
    #[arg(long)]
    actor: Option<String>,
    /// Only events of this type: as the API names it (`document.added`,
    /// `document.updated`, ...) or as stored (`DocumentAdded`).
    #[arg(long = "type", value_name = "TYPE", value_parser = event_type)]
    event_type: Option<StoredTypes>,
    /// From this position (a number) or time (RFC 3339), inclusive.
    #[arg(long)]
    since: Option<String>,
    /// Up to this position or time, inclusive.
    #[arg(long)]
    until: Option<String>,
    /// Keep printing new events as they are committed.
    #[arg(long)]
    follow: bool,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

/// The stored types `--type` stands for; an unknown name is refused with
/// the list of known ones (clap exits 2).
fn event_type(name: &str) -> Result<StoredTypes, String> {
    let types = crate::live::stored_types(name);
    if types.is_empty() {
        let mut known: Vec<&str> = crate::live::KINDS.iter().map(|(_, kind)| *kind).collect();
        known.dedup();
        return Err(format!(
            "unknown event type; one of: {}, or a stored name ({})",
            known.join(", "),
            crate::live::KINDS
                .iter()
                .map(|(stored, _)| *stored)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(StoredTypes(types))
}

/// The stored event types one `--type` name stands for.
#[derive(Clone)]
struct StoredTypes(Vec<&'static str>);

/// A position or an RFC 3339 time.
enum Bound {
    Position(i64),
    Time(OffsetDateTime),
}

fn bound(raw: &str) -> anyhow::Result<Bound> {
    if let Ok(position) = raw.parse::<i64>() {
        return Ok(Bound::Position(position));
    }
    OffsetDateTime::parse(raw, &Rfc3339)
        .map(Bound::Time)
        .with_context(|| format!("{raw:?} is neither a position nor an RFC 3339 time"))
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let pool = db::connect(settings.database_url.expose()).await?;
    let mut filter = Filter {
        document_id: args.document,
        actor: args.actor.clone(),
        event_types: args
            .event_type
            .iter()
            .flat_map(|types| &types.0)
            .map(|t| t.to_string())
            .collect(),
        ..Filter::default()
    };
    if let Some(slug) = &args.project {
        let id: Option<Uuid> = sqlx::query_scalar("SELECT id FROM projects WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&pool)
            .await?;
        filter.project_id = Some(id.with_context(|| format!("no project {slug:?}"))?);
    }
    match args.since.as_deref().map(bound).transpose()? {
        Some(Bound::Position(p)) => filter.since_position = Some(p),
        Some(Bound::Time(t)) => filter.since_time = Some(t),
        None => {}
    }
    match args.until.as_deref().map(bound).transpose()? {
        Some(Bound::Position(p)) => filter.until_position = Some(p),
        Some(Bound::Time(t)) => filter.until_time = Some(t),
        None => {}
    }
    if args.follow && (filter.until_position.is_some() || filter.until_time.is_some()) {
        bail!("--follow and --until do not go together");
    }
    let mut listener = if args.follow {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        Some(listener)
    } else {
        None
    };
    if !args.json {
        out!(
            "{:>10}  {:<27}  {:<24}  {:<36}  {:<16}  data",
            "position",
            "recorded_at",
            "type",
            "stream",
            "actor"
        )?;
    }
    let mut after = 0;
    loop {
        let page = log::read_filtered(&mut *pool.acquire().await?, &filter, after, 1_000).await?;
        for event in &page {
            print(event, args.json)?;
        }
        if let Some(last) = page.last() {
            after = last.position;
            continue;
        }
        let Some(listener) = listener.as_mut() else {
            return Ok(());
        };
        // The table is the truth; a notification, or a second, only wakes us.
        let _ = tokio::time::timeout(Duration::from_secs(1), listener.recv()).await;
    }
}

fn print(event: &RecordedEvent, json: bool) -> std::io::Result<()> {
    let recorded_at = event.recorded_at.format(&Rfc3339).unwrap_or_default();
    if json {
        let line = serde_json::json!({
            "position": event.position,
            "recorded_at": recorded_at,
            "type": event.event_type,
            "stream_id": event.stream_id,
            "stream_version": event.stream_version,
            "project_id": event.project_id,
            "actor": event.actor,
            "correlation_id": event.correlation_id,
            "data": event.payload,
            "hash": hex::encode(event.hash),
        });
        out!("{line}")
    } else {
        out!(
            "{:>10}  {:<27}  {:<24}  {:<36}  {:<16}  {}",
            event.position,
            recorded_at,
            event.event_type,
            event.stream_id,
            event.actor,
            event.payload
        )
    }
}

use anyhow::{Context, bail};
use serde_json::{Value, json};
use stockage_store::log::{self, Filter};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::out::out;
use crate::audit::replay::{ProjectState, fold};
use crate::db;
use crate::error::rfc3339;
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// The project, by slug.
    #[arg(long)]
    project: String,
    /// The moment: a position or an RFC 3339 time (inclusive); default:
    /// now, the whole log.
    #[arg(long, value_name = "POSITION|TIME", default_value = "now")]
    at: String,
    /// Only this document (its id, a UUID).
    #[arg(long, value_name = "DOCUMENT_ID")]
    document: Option<Uuid>,
    /// Who could read this document (its id, a UUID) at that moment, and why.
    #[arg(long, value_name = "DOCUMENT_ID")]
    who_could_read: Option<Uuid>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let pool = db::connect(settings.database_url.expose()).await?;
    let project_id: Uuid = sqlx::query_scalar("SELECT id FROM projects WHERE slug = $1")
        .bind(&args.project)
        .fetch_optional(&pool)
        .await?
        .with_context(|| format!("no project {:?}", args.project))?;
    let mut filter = Filter {
        project_id: Some(project_id),
        ..Filter::default()
    };
    if args.at == "now" {
        // Everything recorded so far.
    } else if let Ok(position) = args.at.parse::<i64>() {
        filter.until_position = Some(position);
    } else {
        let time = OffsetDateTime::parse(&args.at, &Rfc3339).with_context(|| {
            format!(
                "--at {:?} is neither a position nor an RFC 3339 time",
                args.at
            )
        })?;
        filter.until_time = Some(time);
    }
    let mut events = Vec::new();
    let mut conn = pool.acquire().await?;
    loop {
        let after = events
            .last()
            .map_or(0, |e: &stockage_events::RecordedEvent| e.position);
        let page = log::read_filtered(&mut conn, &filter, after, 5_000).await?;
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    let state = fold(&events).map_err(anyhow::Error::msg)?;
    // Locks are judged at that moment: the time asked for, or the time of
    // the last event at the position asked for.
    let moment = filter
        .until_time
        .or(events.last().map(|e| e.recorded_at))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let report = report(&state, &args, moment)?;
    if args.json {
        out!("{report}")?;
    } else {
        print_human(&report)?;
    }
    Ok(())
}

fn report(state: &ProjectState, args: &Args, moment: OffsetDateTime) -> anyhow::Result<Value> {
    let members: Vec<Value> = state
        .project
        .members
        .iter()
        .map(|(user, role)| json!({"user": user.to_string(), "role": role.to_string()}))
        .collect();
    let documents: Vec<Value> = state
        .documents
        .iter()
        .filter(|(id, _)| args.document.is_none_or(|wanted| wanted == **id))
        .map(|(id, doc)| {
            let latest = doc.revisions.last();
            json!({
                "id": id,
                "title": doc.title,
                "revision": doc.revision,
                "sha256": latest.map(|r| r.sha256.to_string()),
                "filename": latest.map(|r| r.filename.clone()),
                "tags": doc.tags,
                "deleted": doc.deleted,
                "purged": doc.purged.as_ref().map(|rule| rule.to_string()),
                "purged_revisions": doc.revisions.iter().enumerate()
                    .filter(|(_, r)| r.purged).map(|(i, _)| i + 1).collect::<Vec<_>>(),
                "acl": doc.acl.iter().map(|(p, q)| json!({"principal": p.to_string(), "permission": q.as_str()})).collect::<Vec<_>>(),
                "shares": state.links_of(*id),
                "state": doc.workflow.state.as_str(),
                "release": doc.workflow.release.as_ref().map(|(letter, _)| letter),
                "released_revision": doc.workflow.release.as_ref().map(|(_, n)| n),
                "lock": doc.workflow.live_lock(moment).map(|lock| json!({
                    "locked_by": lock.holder.to_string(),
                    "locked_at": rfc3339(lock.locked_at),
                    "expires_at": rfc3339(lock.expires_at),
                    "note": lock.note,
                })),
            })
        })
        .collect();
    let mut report = json!({
        "project": args.project,
        "at": args.at,
        "last_position": state.last_position,
        "members": members,
        "documents": documents,
    });
    if let Some(document) = args.who_could_read {
        let Some(readers) = state.who_could_read(document) else {
            bail!(
                "document {document} did not exist in project {} at {}",
                args.project,
                args.at
            );
        };
        report["who_could_read"] = json!({"document": document, "readers": readers});
    }
    Ok(report)
}

fn print_human(report: &Value) -> std::io::Result<()> {
    out!(
        "project {} at {} (events up to position {})",
        report["project"],
        report["at"],
        report["last_position"]
    )?;
    out!("\nmembers:")?;
    for m in report["members"].as_array().into_iter().flatten() {
        out!(
            "  {:<24} {}",
            m["user"].as_str().unwrap_or(""),
            m["role"].as_str().unwrap_or("")
        )?;
    }
    out!("\ndocuments:")?;
    for d in report["documents"].as_array().into_iter().flatten() {
        let lock = match d["lock"].as_object() {
            Some(lock) => format!(
                "  locked by {} until {}",
                lock["locked_by"].as_str().unwrap_or(""),
                lock["expires_at"].as_str().unwrap_or("")
            ),
            None => String::new(),
        };
        out!(
            "  {}  rev {}  {}{}  {}  {}{}{}  tags {}  acl {}",
            d["id"].as_str().unwrap_or(""),
            d["revision"],
            d["state"].as_str().unwrap_or(""),
            lock,
            d["sha256"].as_str().unwrap_or(""),
            d["title"].as_str().unwrap_or(""),
            match (d["purged"].as_str(), d["deleted"] == true) {
                (Some(_), _) => " (purged)".to_owned(),
                (None, true) => " (deleted)".to_owned(),
                (None, false) => String::new(),
            },
            match d["purged_revisions"].as_array().filter(|r| !r.is_empty()) {
                Some(revs) => format!("  purged revisions {}", Value::from(revs.clone())),
                None => String::new(),
            },
            d["tags"],
            d["acl"]
        )?;
        for link in d["shares"].as_array().into_iter().flatten() {
            let revision = link["revision"]
                .as_u64()
                .map_or("latest".into(), |n| format!("rev {n}"));
            let revoked = if link["revoked"] == true {
                ", revoked"
            } else {
                ""
            };
            out!(
                "    share {} by {} ({revision}{revoked})",
                link["id"].as_str().unwrap_or(""),
                link["created_by"].as_str().unwrap_or("")
            )?;
            for got in link["downloads"].as_array().into_iter().flatten() {
                out!(
                    "      downloaded rev {} at {} from {}",
                    got["revision"],
                    got["at"].as_str().unwrap_or(""),
                    got["client"].as_str().unwrap_or("")
                )?;
            }
        }
    }
    if let Some(who) = report.get("who_could_read") {
        out!("\nwho could read {}:", who["document"])?;
        for r in who["readers"].as_array().into_iter().flatten() {
            out!(
                "  {:<24} {:<8} {:<6} because {}",
                r["user"].as_str().unwrap_or(""),
                r["role"].as_str().unwrap_or(""),
                r["permission"].as_str().unwrap_or(""),
                r["because"].as_str().unwrap_or("")
            )?;
        }
    }
    Ok(())
}

use stockage_events::UserId;

use super::out::report;
use crate::identity::{Keys, parse_ttl};
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct Args {
    /// The user id (`sub` claim).
    #[arg(long)]
    user: String,
    /// Display name (`name` claim).
    #[arg(long)]
    name: Option<String>,
    /// Allow creating projects (`admin` claim).
    #[arg(long)]
    admin: bool,
    /// Lifetime, e.g. 90s, 15m, 1h, 7d, 1h 30m.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    ttl: std::time::Duration,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Signs with the secret a server of this configuration uses, never with a
/// new one: a token signed with a secret no server has would be refused.
pub fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let user = UserId::parse(&args.user)?;
    let auth = &settings.auth;
    let keys = Keys::for_config(auth)?;
    eprintln!(
        "stockage token: signed with the secret from {}",
        auth.secret_source
    );
    let token = keys.issue(&user, args.name, args.admin, args.ttl);
    let expires_at = time::OffsetDateTime::now_utc() + args.ttl;
    let value = serde_json::json!({
        "token": token,
        "user": user.to_string(),
        "expires_at": expires_at.format(&time::format_description::well_known::Rfc3339)?,
    });
    report(args.json, value, &token)?;
    Ok(())
}

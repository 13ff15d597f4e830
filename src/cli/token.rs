use stockage_events::UserId;

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
    /// Lifetime, e.g. 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    ttl: std::time::Duration,
}

pub fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let user = UserId::parse(&args.user)?;
    let keys = Keys::new(&settings.auth.jwt_secret);
    println!("{}", keys.issue(&user, args.name, args.admin, args.ttl));
    Ok(())
}

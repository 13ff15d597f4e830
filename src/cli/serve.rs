use crate::settings::Settings;
use crate::startup::Application;

pub async fn run(mut settings: Settings) -> anyhow::Result<()> {
    settings.auth.generate_if_missing()?;
    let app = Application::build(settings.clone()).await?;
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host);
    tracing::info!(url = %format!("http://{host}:{}/", app.port()), "stockage is listening");
    // The banner is for a person at a terminal; JSON logs stay JSON only.
    if !settings.log_json {
        eprintln!(
            "Stockage is serving on http://{host}:{port}/
\
         JWT secret:        from {source}
\
         Get a token with:  cargo run --release -- token --user alice --admin\n\
         Web UI:            http://{host}:{port}/{signin}\n\
         Then:              curl -H \"Authorization: Bearer $TOKEN\" http://{host}:{port}/api/v1/projects",
            port = app.port(),
            source = settings.auth.secret_source,
            signin = if settings.oidc.is_some() {
                " (Sign in)"
            } else {
                " (paste the token)"
            },
        );
    }
    app.run_until_stopped().await?;
    Ok(())
}

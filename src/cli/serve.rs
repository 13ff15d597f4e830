use crate::settings::Settings;
use crate::startup::Application;

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings.clone()).await?;
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host);
    tracing::info!(url = %format!("http://{host}:{}/", app.port()), "stockage is listening");
    // The banner is for a person at a terminal; JSON logs stay JSON only.
    if !settings.log_json {
        eprintln!(
            "Stockage is serving on http://{host}:{port}/\n\
         Get a token with:  cargo run --release -- token --user alice --admin\n\
         Web UI:            http://{host}:{port}/ (paste the token)\n\
         Then:              curl -H \"Authorization: Bearer $TOKEN\" http://{host}:{port}/api/v1/projects",
            port = app.port()
        );
    }
    app.run_until_stopped().await?;
    Ok(())
}

//! Building and running the server: one place for start-up.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use sqlx::PgPool;
use stockage_projections::runner;
use stockage_store::{EventStore, Projector};
use tokio::sync::watch;

use crate::api::{self, AppState};
use crate::identity::Identity;
use crate::live::Hub;
use crate::preview::{self, Previews};
use crate::search::index::{self, IndexConfig, SearchProjector};
use crate::settings::Settings;
use crate::storage::BlobStore;
use crate::uploads::Uploads;
use crate::{db, telemetry};

pub struct Application {
    port: u16,
    server: Server,
    shutdown: watch::Sender<bool>,
}

impl Application {
    /// Connects to (and if need be creates and migrates) the database, then binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::connect(settings.database_url.expose()).await?;
        Self::build_with_pool(settings, pool).await
    }

    /// Binds `settings.bind` (port 0 picks a free port) and serves `pool`,
    /// which must be migrated.
    pub async fn build_with_pool(settings: Settings, pool: PgPool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let (shutdown, stopping) = watch::channel(false);
        let live = Hub::start(pool.clone(), stopping.clone());
        let store = EventStore::start(pool, stockage_projections::inline_projectors());
        let blobs = BlobStore::open(&settings.storage)?;
        tokio::spawn(collect_garbage(
            store.pool().clone(),
            blobs.clone(),
            settings.retention.blob_grace,
        ));
        tokio::spawn(crate::retention::scheduler::run(
            store.clone(),
            blobs.clone(),
            settings.retention.clone(),
            stopping.clone(),
        ));
        let previews = Previews::new(blobs.clone(), settings.previews.clone());
        if settings.previews.worker {
            tokio::spawn(preview::worker::run(
                store.pool().clone(),
                previews.clone(),
                Duration::from_millis(500),
                stopping.clone(),
            ));
        }
        start_indexing(store.pool(), &blobs, &settings.index, stopping.clone());
        let quota = crate::retention::quota::Quota {
            default_bytes: settings.retention.default_quota_bytes,
            turns: Default::default(),
        };
        let uploads = Uploads::new(
            store.clone(),
            blobs.clone(),
            settings.storage.max_upload_bytes,
            settings.uploads.clone(),
            quota.clone(),
        );
        tokio::spawn(crate::uploads::sweep::run(
            store.pool().clone(),
            blobs.clone(),
            settings.uploads.sweep_every,
            stopping.clone(),
        ));
        if let Some(bridge) = settings.bridge.clone() {
            tokio::spawn(crate::bridge::run(
                store.pool().clone(),
                bridge,
                stopping.clone(),
            ));
        }
        let identity = Identity::new(store.pool().clone(), &settings.auth)?;
        let state = web::Data::new(AppState {
            store,
            blobs,
            diffs: crate::versions::diff::Differ::new(settings.diffs.clone()),
            previews,
            max_upload_bytes: settings.storage.max_upload_bytes,
            uploads,
            identity,
            oidc: settings
                .oidc
                .clone()
                .map(crate::identity::oidc::Oidc::new)
                .transpose()?,
            metrics: telemetry::metrics_handle(),
            live,
            live_limits: settings.live,
            share_throttle: Default::default(),
            quota,
            retention: settings.retention,
            shutdown: stopping,
            kept: Default::default(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(api::auth::identify))
                .wrap(from_fn(api::access::observe))
                .app_data(state.clone())
                .configure(api::routes)
                .wrap(from_fn(api::auth::lift_query_token))
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(10)
        .client_request_timeout(Duration::from_secs(30))
        .run();
        Ok(Self {
            port,
            server,
            shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then shuts down gracefully: background
    /// tasks stop and WebSockets get a close frame before connections drain.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server, shutdown, ..
        } = self;
        let handle = server.handle();
        tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("shutting down");
            shutdown.send_replace(true);
            handle.stop(true).await;
        });
        server.await
    }
}

async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut interrupt), Ok(mut terminate)) => {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        _ => {
            tracing::warn!("cannot listen for signals; stop with SIGKILL");
            std::future::pending::<()>().await;
        }
    }
}

/// The search projector (on one node of the cluster at a time) and this
/// node's extraction workers, off the request path.
fn start_indexing(
    pool: &PgPool,
    blobs: &BlobStore,
    config: &IndexConfig,
    stopped: watch::Receiver<bool>,
) {
    if config.projector {
        let projector: Arc<dyn Projector> = Arc::new(SearchProjector);
        tokio::spawn(runner::run(
            pool.clone(),
            projector,
            config.poll,
            stopped.clone(),
        ));
    }
    index::worker::spawn(pool.clone(), blobs.clone(), config.clone(), stopped);
}

/// Blob gc every 15 minutes; a blob must be `grace` old to be collected.
async fn collect_garbage(pool: PgPool, blobs: BlobStore, grace: Duration) {
    // The first run is one period after start, not at start-up.
    let period = Duration::from_secs(15 * 60);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = crate::retention::gc::collect(&pool, &blobs, grace).await {
            tracing::warn!(%error, "blob garbage collection failed; will retry");
        }
    }
}

//! `mixed`: a realistic mix at a target rate (open loop): 80 % reads (get,
//! list, download) by a viewer, 15 % uploads and revisions and 5 % ACL and
//! metadata changes by the owner. Reports the achieved rate and every error.
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use stockage_load::api::{Api, small_pdf};
use stockage_load::drive;
use stockage_load::report::Row;
use stockage_load::rng::Rng;

use super::Ctx;

const DOCUMENTS: u64 = 20;
const SMALL: usize = 20_000;

pub struct Mix {
    slug: String,
    owner: Api,
    reader: Api,
    documents: Vec<String>,
    seed: u64,
}

impl Mix {
    /// Operation `n` of the run: which one and on what is fixed by the seed.
    pub async fn op(&self, n: u64) -> Result<(), String> {
        let mut rng = Rng::new(self.seed ^ n.wrapping_mul(0x9E37_79B9));
        let doc = &self.documents[rng.below(DOCUMENTS) as usize];
        let slug = &self.slug;
        match rng.below(100) {
            0..40 => self.reader.get_document(slug, doc).await.map(drop),
            40..60 => self.reader.list_documents(slug).await.map(drop),
            60..80 => self.reader.download(slug, doc).await.map(drop),
            80..85 => {
                let name = format!("new-{n}.pdf");
                self.owner
                    .upload_bytes(slug, &name, small_pdf(n, SMALL))
                    .await
                    .map(drop)
            }
            85..95 => self.owner.put_content(slug, doc, small_pdf(n, SMALL)).await,
            95..98 => {
                self.owner
                    .patch_title(slug, doc, &format!("Title {n}"))
                    .await
            }
            _ => {
                let permission = if n.is_multiple_of(2) { "read" } else { "none" };
                let entries = json!([
                    {"principal": "user:load-reader", "permission": "read"},
                    {"principal": "user:load-other", "permission": permission},
                ]);
                self.owner.put_acl(slug, doc, entries).await
            }
        }
    }
}

/// A project with a reader and [`DOCUMENTS`] documents, ready to mix.
pub async fn prepare(ctx: &Ctx, name: &str) -> anyhow::Result<Arc<Mix>> {
    let slug = ctx.project(name).await?;
    ctx.api
        .add_member(&slug, "load-reader", "viewer")
        .await
        .map_err(anyhow::Error::msg)?;
    let documents = futures_util::stream::iter(0..DOCUMENTS)
        .map(|n| {
            let (api, slug) = (ctx.api.clone(), slug.clone());
            async move {
                api.upload_bytes(&slug, &format!("m{n}.pdf"), small_pdf(n, SMALL))
                    .await
            }
        })
        .buffered(4)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|doc| Ok(doc?["id"].as_str().unwrap_or_default().to_owned()))
        .collect::<Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)?;
    Ok(Arc::new(Mix {
        slug,
        owner: ctx.api.clone(),
        reader: ctx.user("load-reader").await?,
        documents,
        seed: ctx.seed,
    }))
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<Vec<Row>> {
    let mix = prepare(ctx, "mixed").await?;
    let rate = ctx.mixed_rate;
    let duration = Duration::from_secs(if ctx.quick { 5 } else { 30 });
    let outcome = drive::open_loop(rate, duration, |n| {
        let mix = mix.clone();
        async move { mix.op(n).await }
    })
    .await;
    Ok(vec![
        Row::new(
            "mixed",
            "80 % reads, 15 % uploads/revisions, 5 % ACL/metadata",
            outcome.rate(),
            "ops/s",
        )
        .against("target rate", rate, "ops/s")
        .target("errors = 0", outcome.errors == 0)
        .latency(outcome.percentiles())
        .errors(outcome.errors)
        .note(outcome.first_error.unwrap_or_default()),
    ])
}

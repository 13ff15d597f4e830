use std::time::Duration;

use stockage::search::index::ExtractError;
use stockage::search::index::isolate::{self, Budget, Isolation};
use stockage_events::FileKind;

use crate::helpers::fixture;

/// `hostile/slow.pdf` is a mutation of `blueprint.pdf` (same length) that
/// cargo fuzz found: under libFuzzer's 2 GB limit the PDF libraries spent
/// 14 s allocating on it. The extractor process hits its memory budget (or
/// else its time budget) and the file is recorded as failed.
#[tokio::test]
async fn a_file_the_pdf_libraries_blow_up_on_is_stopped_by_the_budget() {
    let budget = Budget {
        time: Duration::from_secs(2),
        memory_bytes: 512_000_000,
    };
    let child = Isolation::Process(env!("CARGO_BIN_EXE_stockage").into());
    let outcome = isolate::extract(
        &child,
        budget,
        FileKind::Pdf,
        "slow.pdf",
        fixture("hostile/slow.pdf"),
    )
    .await;
    assert!(
        matches!(&outcome, Err(ExtractError::Budget(why))
            if why.contains("memory budget") || why.contains("longer than its budget")),
        "{outcome:?}"
    );
}

//! The platform's side of the bridge: a real Django Channels consumer
//! (`tests/python/channels_consumer.py`, channels and channels-redis from
//! tests/python/requirements.txt) joined to `project_<slug>`, whose
//! `stockage_event` handler's messages come back here one JSON line each.
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

pub struct Consumer {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

/// How long a message may take to arrive before the test gives up.
const PATIENCE: Duration = Duration::from_secs(90);

impl Consumer {
    /// Starts the consumer and waits until it has joined its group.
    pub async fn start(redis_url: &str, prefix: &str, slug: &str) -> Self {
        let python = std::env::var("STOCKAGE_TEST_PYTHON").expect(
            "STOCKAGE_TEST_PYTHON is not set: run the tests with scripts/test, \
             or eval \"$(scripts/python-env)\" first",
        );
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/channels_consumer.py"
        );
        let mut child = tokio::process::Command::new(python)
            .args([script, redis_url, prefix, slug])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the Channels consumer starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("the consumer joins its group")
            .unwrap();
        assert_eq!(first.as_deref(), Some("ready"));
        Self {
            _child: child,
            lines,
        }
    }

    /// The next message its `stockage_event` handler received.
    pub async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE, self.lines.next_line())
            .await
            .expect("the consumer receives the next message")
            .unwrap()
            .expect("the consumer is still running");
        serde_json::from_str(&line).unwrap()
    }

    /// Messages until the one of the event at `position`.
    pub async fn until(&mut self, position: i64) -> Vec<Value> {
        let mut received = Vec::new();
        loop {
            let message = self.next().await;
            let at = message["event"]["position"].as_i64().expect("a position");
            received.push(message);
            if at >= position {
                return received;
            }
        }
    }
}

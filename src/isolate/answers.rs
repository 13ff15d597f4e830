//! A child that answers several times from one input (a thumbnail at each
//! size from one parse): each answer is its length (u32, little-endian)
//! and that many bytes, and each has the time budget of a child of its
//! own: the first is due within `budget.time` of the start, each next one
//! within `budget.time` of the one before.
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Child;

use super::{Budget, ChildFailure, MAX_STDERR, Running, spawn, why_stopped};

/// Runs `command` (this program in a child mode, named `what` in
/// messages) with `bytes` on its stdin and reads up to `expected` answers
/// of at most `max_answer` bytes each. Returns the answers read, in order,
/// and why the others are missing; the child is killed when one is late.
pub async fn run_child_answers(
    mut command: tokio::process::Command,
    what: &str,
    budget: Budget,
    bytes: Vec<u8>,
    max_answer: u64,
    expected: usize,
) -> (Vec<Vec<u8>>, Option<ChildFailure>) {
    let mut child = match spawn(&mut command, what) {
        Ok(child) => child,
        Err(failure) => return (Vec::new(), Some(failure)),
    };
    let _running = Running::count(what);
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let failure = ChildFailure::Stopped(format!("the {what} has no pipes"));
        return (Vec::new(), Some(failure));
    };
    let (mut answers, mut said) = (Vec::new(), Vec::new());
    let cut = {
        let feed = async {
            // A child that stops reading (it failed early) is not an error here.
            let _ = stdin.write_all(&bytes).await;
            drop(stdin);
        };
        let read = read_answers(
            &mut child,
            BufReader::new(stdout),
            &mut answers,
            expected,
            budget.time,
            max_answer,
        );
        let complaint = async {
            let _ = stderr.take(MAX_STDERR).read_to_end(&mut said).await;
        };
        // Every answer was late or the child hung after its last one.
        let sizes = u32::try_from(expected).unwrap_or(u32::MAX);
        let most = budget.time.saturating_mul(sizes.saturating_add(1)) + Duration::from_secs(5);
        let joined =
            tokio::time::timeout(most, async { tokio::join!(feed, read, complaint).1 }).await;
        joined.unwrap_or_else(|_| {
            let _ = child.start_kill();
            Some(ChildFailure::OverTime)
        })
    };
    let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) => Some(status),
        _ => {
            let _ = child.kill().await;
            None
        }
    };
    if answers.len() >= expected {
        return (answers, None);
    }
    let failure = match (cut, status) {
        (Some(failure), _) => failure,
        (None, Some(status)) => ChildFailure::Stopped(why_stopped(
            what,
            &status,
            &String::from_utf8_lossy(&said),
            budget.memory_bytes,
        )),
        (None, None) => ChildFailure::OverTime,
    };
    (answers, Some(failure))
}

/// Reads answers into `answers` until `expected` are in or the output
/// ends (`None`: the exit status says why), or kills the child when one is
/// late or unreadable.
async fn read_answers(
    child: &mut Child,
    mut out: impl AsyncRead + Unpin,
    answers: &mut Vec<Vec<u8>>,
    expected: usize,
    time: Duration,
    max_answer: u64,
) -> Option<ChildFailure> {
    while answers.len() < expected {
        let failure = match tokio::time::timeout(time, read_answer(&mut out, max_answer)).await {
            Ok(Ok(Some(answer))) => {
                answers.push(answer);
                continue;
            }
            Ok(Ok(None)) => return None,
            Ok(Err(e)) => ChildFailure::Stopped(format!("an unreadable answer: {e}")),
            Err(_) => ChildFailure::OverTime,
        };
        let _ = child.start_kill();
        return Some(failure);
    }
    None
}

/// One answer, or `None` when the output ends before a whole one.
async fn read_answer(
    out: &mut (impl AsyncRead + Unpin),
    max_answer: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 4];
    let ended = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Ok(None),
        _ => Err(e),
    };
    if let Err(e) = out.read_exact(&mut length).await {
        return ended(e);
    }
    let length = u32::from_le_bytes(length);
    if u64::from(length) > max_answer {
        return Err(std::io::Error::other(format!(
            "{length} bytes is over {max_answer}"
        )));
    }
    let mut answer = vec![0u8; length as usize];
    match out.read_exact(&mut answer).await {
        Ok(_) => Ok(Some(answer)),
        Err(e) => ended(e),
    }
}

/// The child's side: writes one answer.
pub fn write_answer(out: &mut impl std::io::Write, parts: &[&[u8]]) -> std::io::Result<()> {
    let length: usize = parts.iter().map(|part| part.len()).sum();
    let length = u32::try_from(length).map_err(std::io::Error::other)?;
    out.write_all(&length.to_le_bytes())?;
    for part in parts {
        out.write_all(part)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_are_read_back_whole_and_a_torn_one_is_none() {
        let mut out = Vec::new();
        write_answer(&mut out, &[b"r", b"png bytes"]).unwrap();
        write_answer(&mut out, &[b"f"]).unwrap();
        let mut reader = &out[..];
        let first = read_answer(&mut reader, 100).await.unwrap();
        assert_eq!(first.as_deref(), Some(&b"rpng bytes"[..]));
        assert_eq!(
            read_answer(&mut reader, 100).await.unwrap(),
            Some(b"f".to_vec())
        );
        assert_eq!(read_answer(&mut reader, 100).await.unwrap(), None);
        let mut torn = &out[..7];
        assert_eq!(read_answer(&mut torn, 100).await.unwrap(), None);
        let mut large = &out[..];
        assert!(read_answer(&mut large, 5).await.is_err());
    }
}

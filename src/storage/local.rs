//! The local backend's upload path (decision 0066). The bytes go straight
//! to `uploads/<uuid>` in batches, each hashed and written on a blocking
//! thread while the request's next bytes are read; the kernel is asked to
//! start writing them out as they come, so the one fsync at the end finds
//! little left. Moving the file to its content address then costs a rename
//! and one directory fsync: the file and its name are on disk before the
//! event naming them commits (decision 0064).
use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sha2::{Digest, Sha256 as Hasher};
use tokio::task::JoinHandle;

/// Bytes handed to a blocking thread at a time. One batch is written while
/// the next is gathered, so an upload holds about two batches in memory.
const BATCH: usize = 256 * 1024;
/// Every this many bytes the kernel is asked to start writing them out.
const WRITEBACK_EVERY: u64 = 8 * 1024 * 1024;

/// The file being written, its digest and size so far.
struct Writing {
    file: File,
    hasher: Hasher,
    size: u64,
    /// Bytes whose writeback was started.
    kicked: u64,
}

/// What was written, fsynced.
pub(super) struct Written {
    pub digest: [u8; 32],
    pub size: u64,
}

enum Slot {
    /// A batch (or the file's creation) on a blocking thread.
    Busy(JoinHandle<io::Result<Writing>>),
    /// Finished, failed or thrown away: nothing to clean up here.
    Gone,
}

pub(super) struct LocalWriter {
    path: PathBuf,
    slot: Slot,
    batch: Vec<Bytes>,
    batched: usize,
}

impl LocalWriter {
    /// Creates `path` (and its directory if it went missing) on a blocking
    /// thread; the first bytes can arrive meanwhile.
    pub fn create(path: PathBuf) -> Self {
        let creating = path.clone();
        let slot = Slot::Busy(tokio::task::spawn_blocking(move || {
            Writing::create(&creating)
        }));
        Self {
            path,
            slot,
            batch: Vec::new(),
            batched: 0,
        }
    }

    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        self.batched += chunk.len();
        self.batch.push(chunk);
        if self.batched >= BATCH {
            let writing = self.settle().await?;
            let batch = self.take_batch();
            self.slot = Slot::Busy(tokio::task::spawn_blocking(move || {
                let mut writing = writing;
                writing.write(&batch)?;
                Ok(writing)
            }));
        }
        Ok(())
    }

    /// Writes what is left and fsyncs the file. On error the file is gone.
    pub async fn finish(mut self) -> io::Result<Written> {
        let writing = self.settle().await?;
        let batch = self.take_batch();
        let path = self.path.clone();
        let done = tokio::task::spawn_blocking(move || {
            let written = writing.finish(&batch);
            if written.is_err() {
                let _ = std::fs::remove_file(&path);
            }
            written
        })
        .await
        .map_err(io::Error::other)?;
        self.slot = Slot::Gone;
        done
    }

    /// Throws the upload away: the file is removed once no batch is being
    /// written to it.
    pub async fn abort(mut self) {
        if let Some(removal) = self.remove() {
            let _ = removal.await;
        }
    }

    /// The batch being written, waited for: the file is free again. A
    /// failure leaves nothing behind (the file is removed).
    async fn settle(&mut self) -> io::Result<Writing> {
        let settled = match std::mem::replace(&mut self.slot, Slot::Gone) {
            Slot::Busy(thread) => thread.await.map_err(io::Error::other).and_then(|w| w),
            Slot::Gone => Err(io::Error::other("the upload was already finished")),
        };
        if settled.is_err() {
            let path = self.path.clone();
            let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(path)).await;
        }
        settled
    }

    fn take_batch(&mut self) -> Vec<Bytes> {
        self.batched = 0;
        std::mem::take(&mut self.batch)
    }

    /// Removes the file after any batch in flight; `None` when there is
    /// nothing to remove.
    fn remove(&mut self) -> Option<JoinHandle<()>> {
        let path = self.path.clone();
        self.batch.clear();
        match std::mem::replace(&mut self.slot, Slot::Gone) {
            Slot::Gone => None,
            Slot::Busy(thread) => Some(tokio::spawn(async move {
                let _ = thread.await;
                let _ = tokio::fs::remove_file(path).await;
            })),
        }
    }
}

impl Drop for LocalWriter {
    /// A request dropped mid-way (its client went) leaves no file behind.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            drop(self.remove());
        } else if !matches!(self.slot, Slot::Gone) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Writing {
    fn create(path: &Path) -> io::Result<Self> {
        let file = match File::create_new(path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                // The directory goes when its last file does (automatic
                // cleanup); a temporary file's entry need not be durable.
                std::fs::create_dir_all(path.parent().unwrap_or(path))?;
                File::create_new(path)?
            }
            opened => opened?,
        };
        Ok(Self {
            file,
            hasher: Hasher::new(),
            size: 0,
            kicked: 0,
        })
    }

    fn write(&mut self, batch: &[Bytes]) -> io::Result<()> {
        for chunk in batch {
            self.hasher.update(chunk);
        }
        let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|chunk| IoSlice::new(chunk)).collect();
        let mut left = &mut slices[..];
        while !left.is_empty() {
            let n = self.file.write_vectored(left)?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.size += n as u64;
            IoSlice::advance_slices(&mut left, n);
        }
        if self.size - self.kicked >= WRITEBACK_EVERY {
            start_writeback(&self.file, self.kicked, self.size - self.kicked);
            self.kicked = self.size;
        }
        Ok(())
    }

    fn finish(mut self, batch: &[Bytes]) -> io::Result<Written> {
        self.write(batch)?;
        self.file.sync_all()?;
        Ok(Written {
            digest: self.hasher.finalize().into(),
            size: self.size,
        })
    }
}

/// Asks the kernel to start writing `len` bytes at `offset` to the disk
/// now rather than at the fsync. On Linux `POSIX_FADV_DONTNEED` starts the
/// writeback of dirty pages (and drops only pages already clean); it is
/// advice: a failure changes nothing but the timing.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    let _ = rustix::fs::fadvise(
        file,
        offset,
        std::num::NonZeroU64::new(len),
        rustix::fs::Advice::DontNeed,
    );
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File, _: u64, _: u64) {}

/// Moves `from` to `to` and fsyncs `to`'s directory (creating it, and
/// syncing the entries of directories created, when it is missing). The
/// bytes of `from` must be durable already.
pub(super) fn publish(from: &Path, to: &Path) -> io::Result<()> {
    let dir = to.parent().unwrap_or(to);
    // The directory may vanish between its creation and the rename (the
    // automatic cleanup of an emptied one): try again a few times.
    for _ in 0..3 {
        match std::fs::rename(from, to) {
            Ok(()) => return fsync_dir(dir),
            Err(error) if error.kind() == io::ErrorKind::NotFound && from.exists() => {
                make_dirs(dir)?;
            }
            Err(error) => return Err(error),
        }
    }
    std::fs::rename(from, to)?;
    fsync_dir(dir)
}

/// `dir` and its missing ancestors, each new entry made durable.
fn make_dirs(dir: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    std::fs::create_dir_all(dir)?;
    for created in missing {
        if let Some(parent) = created.parent() {
            fsync_dir(parent)?;
        }
    }
    Ok(())
}

fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("stockage-local-{name}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn batches_hash_and_write_every_byte_in_order() {
        let dir = temp_dir("write");
        let path = dir.join("uploads").join("one");
        let mut writer = LocalWriter::create(path.clone());
        let mut expected = Vec::new();
        let mut hasher = Hasher::new();
        for i in 0..700u32 {
            let chunk: Vec<u8> = (0..(i * 37 % 9_000 + 1)).map(|j| (i ^ j) as u8).collect();
            hasher.update(&chunk);
            expected.extend_from_slice(&chunk);
            writer.write(Bytes::from(chunk)).await.unwrap();
        }
        let written = writer.finish().await.unwrap();
        assert_eq!(written.size, expected.len() as u64);
        assert_eq!(written.digest, <[u8; 32]>::from(hasher.finalize()));
        assert_eq!(std::fs::read(&path).unwrap(), expected);

        let to = dir.join("sha256").join("ab").join("cdef");
        publish(&path, &to).unwrap();
        assert!(!path.exists());
        assert_eq!(std::fs::read(&to).unwrap(), expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn an_aborted_or_dropped_upload_leaves_no_file() {
        let dir = temp_dir("abort");
        for drop_it in [false, true] {
            let path = dir.join(format!("upload-{drop_it}"));
            let mut writer = LocalWriter::create(path.clone());
            writer
                .write(Bytes::from(vec![1u8; 3 * BATCH]))
                .await
                .unwrap();
            if drop_it {
                drop(writer);
                for _ in 0..200 {
                    if !path.exists() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            } else {
                writer.abort().await;
            }
            assert!(!path.exists(), "dropped: {drop_it}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! The per-community lists (`quality_by_community/*.csv`), written by a thread of their own.
//!
//! A check of a city writes each failing row twice, to `quality_rows.csv` and to its
//! community's list, and makes a file per community (1,357 for the generated city): on one
//! thread, creating the files and writing the second copy was about half of the rows' phase.
//! The writer encodes each row once; the lists' thread gets the bytes, in order, and does the
//! rest beside it. The lists are byte for byte what the writer wrote alone on one thread.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use super::{io_error, QualityOutputError};

/// Bytes of one list gathered before they go to the lists' thread.
const CHUNK: usize = 64 * 1024;
/// Chunks on their way at most (a few MB: the rows' thread waits when the lists fall behind).
const IN_FLIGHT: usize = 64;

enum Message {
    /// Start the list of this name in the lists' folder: the byte-order mark and the header,
    /// then what follows.
    Open(String),
    /// More of the list last opened.
    Bytes(Vec<u8>),
}

/// The lists' thread, and what is gathered for it.
pub(super) struct CommunityLists {
    /// The lists' folder, named in errors that have no file of their own.
    dir: PathBuf,
    sender: Option<SyncSender<Message>>,
    worker: Option<JoinHandle<Result<(), QualityOutputError>>>,
    pending: Vec<u8>,
    /// The thread stopped on an error (already returned once): the lists are not whole.
    failed: bool,
}

impl CommunityLists {
    /// Starts the lists' thread, for lists in `dir`; `head` begins every list (the byte-order
    /// mark and the header line, encoded).
    pub(super) fn start(head: Vec<u8>, dir: PathBuf) -> Result<CommunityLists, QualityOutputError> {
        let (sender, receiver) = sync_channel::<Message>(IN_FLIGHT);
        let lists_dir = dir.clone();
        let worker = std::thread::Builder::new()
            .name("vbrief-quality-lists".into())
            .spawn(move || {
                let mut open: Option<(PathBuf, std::fs::File)> = None;
                for message in receiver {
                    match message {
                        Message::Open(name) => {
                            let path = lists_dir.join(name);
                            let mut file = std::fs::File::create(&path).map_err(io_error(&path))?;
                            file.write_all(&head).map_err(io_error(&path))?;
                            open = Some((path, file));
                        }
                        Message::Bytes(bytes) => {
                            let Some((path, file)) = &mut open else {
                                // Rows before any list: a bug of the writer, not to be lost quietly.
                                return Err(lost(&lists_dir, "rows came before their list"));
                            };
                            file.write_all(&bytes).map_err(io_error(path))?;
                        }
                    }
                }
                Ok(())
            })
            .map_err(io_error(&dir))?;
        Ok(CommunityLists {
            dir,
            sender: Some(sender),
            worker: Some(worker),
            pending: Vec::new(),
            failed: false,
        })
    }

    /// The list `name` (a file name in the lists' folder) starts; the rows that follow are
    /// its own.
    pub(super) fn open(&mut self, name: String) -> Result<(), QualityOutputError> {
        self.send_pending()?;
        self.send(Message::Open(name))
    }

    /// One encoded row of the list last opened.
    pub(super) fn write(&mut self, row: &[u8]) -> Result<(), QualityOutputError> {
        self.pending.extend_from_slice(row);
        if self.pending.len() >= CHUNK {
            self.send_pending()?;
        }
        Ok(())
    }

    /// Every list written to its end and closed, or the first error the lists' thread met.
    pub(super) fn close(&mut self) -> Result<(), QualityOutputError> {
        self.send_pending()?;
        self.stop()?;
        if self.failed {
            return Err(lost(&self.dir, "a list was not written to its end"));
        }
        Ok(())
    }

    fn send_pending(&mut self) -> Result<(), QualityOutputError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // Taken whole: a small list's chunk is as small as the list, the next one grows anew.
        let bytes = std::mem::take(&mut self.pending);
        self.send(Message::Bytes(bytes))
    }

    fn send(&mut self, message: Message) -> Result<(), QualityOutputError> {
        let sent = match &self.sender {
            Some(sender) => sender.send(message).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread has stopped, on an error it returns (once: later calls say the lists
        // are not whole).
        self.failed = true;
        self.stop()?;
        Err(lost(&self.dir, "a list was not written to its end"))
    }

    /// Ends the thread (it writes what it was sent first) and returns what it met.
    fn stop(&mut self) -> Result<(), QualityOutputError> {
        self.sender = None;
        let ended = match self.worker.take() {
            Some(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(lost(&self.dir, "the lists' thread panicked"))),
            None => Ok(()),
        };
        self.failed |= ended.is_err();
        ended
    }
}

impl Drop for CommunityLists {
    /// A check stopped half-way: its thread ends before the writer is gone, so that nothing is
    /// still written into the folder the next check clears.
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// An error of the lists that no single write returned.
fn lost(path: &Path, what: &str) -> QualityOutputError {
    io_error(path)(std::io::Error::other(what.to_string()))
}

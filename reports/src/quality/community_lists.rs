//! The per-community lists (`quality_by_community/*.csv`), written by a thread of their own.
//!
//! A check of a city writes each failing row twice, to `quality_rows.csv` and to its
//! community's list, and makes a file per community (1,357 for the generated city): on one
//! thread, creating the files and writing the second copy was about half of the rows' phase.
//! The writer encodes each row once; the lists' thread gets the bytes, in order, and does the
//! rest beside it. What the files hold is what one thread wrote.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use super::{io_error, QualityOutputError};

/// Bytes of one list gathered before they go to the lists' thread.
const CHUNK: usize = 64 * 1024;
/// Chunks on their way at most (a few MB: the rows' thread waits when the lists fall behind).
const IN_FLIGHT: usize = 64;

enum Message {
    /// Start the list at this path: the byte-order mark and the header, then what follows.
    Open(PathBuf),
    /// More of the list last opened.
    Bytes(Vec<u8>),
}

/// The lists' thread, and what is gathered for it.
pub(super) struct CommunityLists {
    sender: Option<SyncSender<Message>>,
    worker: Option<JoinHandle<Result<(), QualityOutputError>>>,
    pending: Vec<u8>,
}

impl CommunityLists {
    /// Starts the lists' thread; `head` begins every list (the byte-order mark and the header
    /// line, encoded).
    pub(super) fn start(head: Vec<u8>) -> Result<CommunityLists, QualityOutputError> {
        let (sender, receiver) = sync_channel::<Message>(IN_FLIGHT);
        let worker = std::thread::Builder::new()
            .name("vbrief-quality-lists".into())
            .spawn(move || {
                let mut open: Option<(PathBuf, std::fs::File)> = None;
                for message in receiver {
                    match message {
                        Message::Open(path) => {
                            let mut file = std::fs::File::create(&path).map_err(io_error(&path))?;
                            file.write_all(&head).map_err(io_error(&path))?;
                            open = Some((path, file));
                        }
                        Message::Bytes(bytes) => {
                            if let Some((path, file)) = &mut open {
                                file.write_all(&bytes).map_err(io_error(path))?;
                            }
                        }
                    }
                }
                Ok(())
            })
            .map_err(|e| QualityOutputError::Io {
                path: "vbrief-quality-lists".into(),
                source: e,
            })?;
        Ok(CommunityLists {
            sender: Some(sender),
            worker: Some(worker),
            pending: Vec::with_capacity(CHUNK),
        })
    }

    /// The list at `path` starts; the rows that follow are its own.
    pub(super) fn open(&mut self, path: PathBuf) -> Result<(), QualityOutputError> {
        self.send_pending()?;
        self.send(Message::Open(path))
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
        self.stop()
    }

    fn send_pending(&mut self) -> Result<(), QualityOutputError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
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
        // The thread has stopped, on an error it returns.
        self.stop()?;
        Err(QualityOutputError::Io {
            path: "quality_by_community".into(),
            source: std::io::Error::other("the per-community lists are already closed"),
        })
    }

    /// Ends the thread (it writes what it was sent first) and returns what it met.
    fn stop(&mut self) -> Result<(), QualityOutputError> {
        self.sender = None;
        match self.worker.take() {
            Some(worker) => worker.join().unwrap_or_else(|_| {
                Err(QualityOutputError::Io {
                    path: "quality_by_community".into(),
                    source: std::io::Error::other("the per-community lists' thread panicked"),
                })
            }),
            None => Ok(()),
        }
    }
}

impl Drop for CommunityLists {
    /// A check stopped half-way: its thread ends before the writer is gone, so that nothing is
    /// still written into the folder the next check clears.
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

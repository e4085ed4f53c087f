//! Progress bars on stderr (hidden when stderr is not a terminal, as in CI and tests).

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;

pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            bar: Mutex::new(None),
        }
    }
}

impl ingest::Progress for Bars {
    fn file_started(&self, label: &str, total_bytes: Option<u64>) {
        let bar = match total_bytes {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {pos} 行 rows ({per_sec})")
                    .expect("valid template"),
            ),
        };
        bar.set_message(label.to_string());
        *self.bar.lock().expect("progress lock") = Some(bar);
    }

    fn advanced(&self, rows: u64, bytes: Option<u64>) {
        if let Some(bar) = &*self.bar.lock().expect("progress lock") {
            bar.set_position(bytes.unwrap_or(rows));
        }
    }

    fn file_finished(&self) {
        if let Some(bar) = self.bar.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}

//! Output writers for vbrief. Every CSV we write is UTF-8 with a BOM, so that Excel on a
//! Chinese Windows desktop opens it with the right characters.

pub mod indicator_files;

use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// Writes a CSV (UTF-8 with BOM) atomically: a reader never sees a half-written file.
pub fn write_csv_bom<I, R>(path: &Path, header: &[&str], rows: I) -> Result<(), ReportError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    let as_csv = |source| ReportError::Csv {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    file.write_all("\u{FEFF}".as_bytes()).map_err(io)?;
    let mut writer = csv::Writer::from_writer(file);
    writer.write_record(header).map_err(as_csv)?;
    for row in rows {
        writer.write_record(row).map_err(as_csv)?;
    }
    writer.flush().map_err(io)?;
    drop(writer);
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_quoting() {
        let dir = std::env::temp_dir().join(format!("vbrief-reports-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        write_csv_bom(
            &path,
            &["community", "rate"],
            [vec!["幸福社区", "0.1532"], vec!["a,b", "1"]],
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "community,rate\n幸福社区,0.1532\n\"a,b\",1\n");
        std::fs::remove_dir_all(&dir).ok();
    }
}

//! Pseudonymization: a person is keyed by a keyed BLAKE3 hash of the normalized ID number (or of
//! 志愿者编号 when no ID is given). The key lives beside the warehouse, owner-only, or comes from
//! `VBRIEF_KEY`; without it nobody can go from a stored key back to an ID number by trying them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::parse::id_number::IdNumber;

/// Environment variable holding the key as 64 hex characters (overrides the key file).
pub const KEY_ENV: &str = "VBRIEF_KEY";
/// File name of the key, beside the warehouse.
pub const KEY_FILE: &str = "vbrief.key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{KEY_ENV} must be 64 hexadecimal characters (32 bytes)")]
    BadEnv,
    #[error("key file {0} is damaged: it must hold 64 hexadecimal characters")]
    BadFile(PathBuf),
    #[error("cannot read or create key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("仓库 {warehouse} 已存在，但它的密钥文件 {key} 不见了：没有密钥，新导入的人员无法与已有数据对应。请从备份中恢复这个文件（或设置 {KEY_ENV}），或者新建一个工作目录重新导入 (the warehouse exists but its key file is missing: restore it from a backup, or start a new working folder)")]
    MissingForWarehouse { warehouse: PathBuf, key: PathBuf },
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),
}

/// Where the key came from, for the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
    Created(PathBuf),
}

#[derive(Clone)]
pub struct PseudonymKey([u8; 32]);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<secret>)")
    }
}

impl PseudonymKey {
    pub fn from_bytes(bytes: [u8; 32]) -> PseudonymKey {
        PseudonymKey(bytes)
    }

    /// Reads the key from `VBRIEF_KEY`, or `DIR/vbrief.key`, creating the file on the first run.
    pub fn load_or_create(
        workdir: &Path,
        warehouse: &Path,
    ) -> Result<(PseudonymKey, KeySource), KeyError> {
        if let Ok(hex) = std::env::var(KEY_ENV) {
            return Ok((
                parse_hex(hex.trim()).ok_or(KeyError::BadEnv)?,
                KeySource::Env,
            ));
        }
        let path = workdir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let key = parse_hex(text.trim()).ok_or_else(|| KeyError::BadFile(path.clone()))?;
                Ok((key, KeySource::File(path)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if warehouse.exists() {
                    return Err(KeyError::MissingForWarehouse {
                        warehouse: warehouse.to_path_buf(),
                        key: path,
                    });
                }
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
                write_owner_only(&path, &to_hex(&bytes)).map_err(|source| KeyError::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok((PseudonymKey(bytes), KeySource::Created(path)))
            }
            Err(source) => Err(KeyError::Io { path, source }),
        }
    }

    /// The person key of an ID number.
    pub fn person_from_id(&self, id: &IdNumber) -> Key128 {
        self.hash("id:", id.as_str())
    }

    /// The person key of another identity document (护照, 通行证 …): its canonical type and
    /// normalized number (`parse::document`), so a passport number that happens to equal
    /// some ID number or 志愿者编号 is still another person.
    pub fn person_from_document(&self, document_type: &str, number: &str) -> Key128 {
        self.hash("doc:", &format!("{document_type}|{number}"))
    }

    /// The lookup key of a document number alone (normalized, `parse::document`), whatever its
    /// type: an hour record that names a passport or permit by its number, with no 证件类型,
    /// finds the registered person holding that number through it (docs/CONTRACT.md §3).
    pub fn document_number_key(&self, number: &str) -> Key128 {
        self.hash("docno:", number)
    }

    /// A fingerprint of the key, safe to publish: a keyed hash of a fixed text, from which the
    /// key cannot be recovered. Two warehouses pseudonymize a person alike exactly when their
    /// fingerprints match (the Parquet export's manifest carries it).
    pub fn fingerprint(&self) -> String {
        self.hash("fingerprint:", "vbrief pseudonymization key")
            .to_hex()
    }

    /// The person key of a 志愿者编号, used when no ID number is given.
    pub fn person_from_volunteer_no(&self, volunteer_no: &str) -> Key128 {
        self.hash("no:", volunteer_no)
    }

    fn hash(&self, domain: &str, value: &str) -> Key128 {
        // The keyed hash of `domain` then `value`. Every row hashes one short text: joined on
        // the stack and hashed at once, without the incremental hasher's buffering.
        let mut joined = [0u8; 64];
        let len = domain.len() + value.len();
        let hash = if len <= joined.len() {
            joined[..domain.len()].copy_from_slice(domain.as_bytes());
            joined[domain.len()..len].copy_from_slice(value.as_bytes());
            blake3::keyed_hash(&self.0, &joined[..len])
        } else {
            let mut hasher = blake3::Hasher::new_keyed(&self.0);
            hasher.update(domain.as_bytes());
            hasher.update(value.as_bytes());
            hasher.finalize()
        };
        // 128 bits: collisions are out of reach at any population size.
        let mut key = [0u8; 16];
        key.copy_from_slice(&hash.as_bytes()[..16]);
        Key128(key)
    }
}

/// A 128-bit key, stored in the warehouse as a DuckDB `UUID` (16 bytes, hashed and compared
/// as one integer, where the 32-character text it replaced cost the merge, the commit and
/// every join on persons a string each): a person key, or a service record's identity key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key128(pub [u8; 16]);

impl Key128 {
    /// The 32 lowercase hex digits (the text form keys had before they were UUIDs; DuckDB
    /// reads it as the same UUID).
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
}

impl std::fmt::Debug for Key128 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key128({})", self.to_hex())
    }
}

/// The identity key of a service record that has a record number: the MD5 of `r:<number>`,
/// which is what DuckDB's `md5(...)::UUID` gives for the same text, so the warehouse's SQL
/// (records without a number, and the migration of warehouses that kept the text
/// `r:<number>`) makes the same keys.
pub fn record_key(record_no: &str) -> Key128 {
    use md5::{Digest, Md5};
    let mut hasher = Md5::new();
    hasher.update(b"r:");
    hasher.update(record_no.as_bytes());
    Key128(hasher.finalize().into())
}

fn write_owner_only(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn to_hex(bytes: &[u8]) -> String {
    // A table, not `format!` per byte (quarantined rows that name a person pass their key here).
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

fn parse_hex(s: &str) -> Option<PseudonymKey> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(PseudonymKey(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED_SL00048745: &str = "f9f966430589ee5e94d52cb780c87187";

    #[test]
    fn keys_are_the_keyed_hash_of_domain_and_value_at_any_length() {
        // Keys already in warehouses must not change: short texts (hashed at once) and long
        // ones (hashed incrementally) give the keyed BLAKE3 of the two texts joined.
        let key = PseudonymKey::from_bytes([7; 32]);
        for value in [
            "",
            "SL00048745",
            &"长".repeat(20),
            &"x".repeat(61),
            &"x".repeat(62),
        ] {
            let expected = blake3::keyed_hash(&[7; 32], format!("no:{value}").as_bytes());
            assert_eq!(
                key.person_from_volunteer_no(value).0,
                expected.as_bytes()[..16],
                "{} bytes",
                value.len()
            );
        }
        // A value pinned to its hash as computed before the one-shot path existed.
        assert_eq!(
            key.person_from_volunteer_no("SL00048745").to_hex(),
            PINNED_SL00048745
        );
    }

    #[test]
    fn keyed_and_stable() {
        let a = PseudonymKey::from_bytes([1; 32]);
        let b = PseudonymKey::from_bytes([2; 32]);
        let id = IdNumber::parse("110105900307123").unwrap();
        assert_eq!(a.person_from_id(&id), a.person_from_id(&id));
        assert_ne!(a.person_from_id(&id), b.person_from_id(&id));
        assert_ne!(
            a.person_from_id(&id),
            a.person_from_volunteer_no(id.as_str())
        );
        assert_eq!(a.person_from_id(&id).to_hex().len(), 32);
    }

    #[test]
    fn record_key_is_the_md5_of_the_tagged_number() {
        // md5('r:R1') as computed by `printf 'r:R1' | md5sum`.
        assert_eq!(
            record_key("R1").to_hex(),
            "55a3c7d7d9ea4868e866543df3886027"
        );
    }

    #[test]
    fn key_file_is_created_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("warehouse.duckdb");
        let (k1, s1) = PseudonymKey::load_or_create(dir.path(), &wh).unwrap();
        assert!(matches!(s1, KeySource::Created(_)));
        let (k2, s2) = PseudonymKey::load_or_create(dir.path(), &wh).unwrap();
        assert!(matches!(s2, KeySource::File(_)));
        assert_eq!(k1.0, k2.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
        std::fs::write(&wh, b"").unwrap();
        assert!(matches!(
            PseudonymKey::load_or_create(dir.path(), &wh),
            Err(KeyError::MissingForWarehouse { .. })
        ));
    }
}

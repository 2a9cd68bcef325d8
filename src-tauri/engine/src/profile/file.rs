//! Profile documents as files: the one reader behind the CLI's `profile import` and the app's
//! Import…, so both accept and refuse exactly the same files with the same messages.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Profile, ProfileError};

/// Larger than any real profile by far; a bigger file is the wrong file, not a profile.
const MAX_PROFILE_BYTES: u64 = 16 * 1024 * 1024;

/// A profile document read from a file and validated.
#[derive(Debug, Clone)]
pub struct ProfileFile {
    pub profile: Profile,
    /// SHA-256 of the bytes read, so a save can check that the file is still the one previewed.
    pub sha256: String,
}

/// Why a profile file cannot be used; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ProfileFileError {
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: larger than {MAX_PROFILE_BYTES} bytes; not a profile document", path = .path.display())]
    TooLarge { path: PathBuf },
    /// Not a valid profile document; the inner error names the JSON path.
    #[error("{path}: {source}", path = .path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: ProfileError,
    },
    #[error("{path}: the file changed since it was previewed; import it again", path = .path.display())]
    Changed { path: PathBuf },
}

impl ProfileFile {
    /// Reads and validates the profile document at `path` (errors name the file and the JSON path).
    pub fn read(path: &Path) -> Result<ProfileFile, ProfileFileError> {
        let io = |source| ProfileFileError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
        if bytes.len() as u64 > MAX_PROFILE_BYTES {
            return Err(ProfileFileError::TooLarge { path: path.to_path_buf() });
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let text = String::from_utf8(bytes).map_err(|e| ProfileFileError::Invalid {
            path: path.to_path_buf(),
            source: ProfileError { path: "$".into(), message: format!("not UTF-8 text: {e}") },
        })?;
        let profile = Profile::from_json(&text)
            .map_err(|source| ProfileFileError::Invalid { path: path.to_path_buf(), source })?;
        Ok(ProfileFile { profile, sha256 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_names_itself_in_every_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("p.json");
        std::fs::write(&good, Profile::builtin().to_json()).unwrap();
        let read = ProfileFile::read(&good).unwrap();
        assert_eq!(read.profile, Profile::builtin());
        assert_eq!(read.sha256.len(), 64);

        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, Profile::builtin().to_json().replace("\"legitimate-interest\"", "\"vibes\"")).unwrap();
        let e = ProfileFile::read(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.json") && e.contains("$.purposes[3].lawful_basis"), "{e}");

        let latin1 = dir.path().join("latin1.json");
        std::fs::write(&latin1, b"{\"format\": \"\xe9\"}").unwrap();
        assert!(ProfileFile::read(&latin1).unwrap_err().to_string().contains("not UTF-8"));

        let missing = dir.path().join("missing.json");
        assert!(ProfileFile::read(&missing).unwrap_err().to_string().contains("missing.json"));
    }
}

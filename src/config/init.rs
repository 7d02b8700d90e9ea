//! `nightdesk init`: writes the embedded, commented starter config to the config path.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The starter config, a working file with every option explained.
pub const STARTER_CONFIG: &str = include_str!("starter.toml");

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists (pass --force to overwrite it)")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes the starter config to `path`, creating its directory. An existing file is kept
/// unless `force` is set. Returns the path written.
pub fn init(path: &Path, force: bool) -> Result<PathBuf, InitError> {
    let io_error = |source| InitError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_error)?;
    }
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            InitError::Exists(path.to_path_buf())
        } else {
            io_error(e)
        }
    })?;
    file.write_all(STARTER_CONFIG.as_bytes())
        .map_err(io_error)?;
    Ok(path.to_path_buf())
}

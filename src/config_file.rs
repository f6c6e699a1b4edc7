//! Reading the files that configure vastleaks: the ignore file, baselines,
//! rule files.
//!
//! These usually sit in the scanned repository, so a pull request controls
//! them. A committed `.vastleaksignore -> /proc/self/environ` would otherwise
//! make the scanner read the CI step's environment and echo it back in error
//! messages, and `-> /dev/zero` would read until memory runs out. So a
//! configuration file must be a regular file, opened without following
//! symbolic links, of at most [`MAX_BYTES`]; anything else is an error that
//! names the file and says what to do. Callers report parse problems by file
//! and line, never by echoing what the file holds.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Largest configuration file read (1 MiB): far above any real ignore file,
/// baseline or rule file, far below what could hurt.
pub const MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("not found")]
    NotFound,
    #[error("is a symbolic link; configuration files are read only as regular files (not followed: it could point outside the repository); replace it with the file itself")]
    Symlink,
    #[error("is not a regular file (a directory, device or pipe); pass a regular file")]
    NotRegular,
    #[error("is {0} bytes, over the 1 MiB limit for configuration files; shorten it")]
    TooLarge(u64),
    #[error("is not UTF-8 text; save it as UTF-8")]
    NotUtf8,
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the configuration file at `path` (see the module docs for the rules).
pub fn read(path: &Path) -> Result<String, ConfigFileError> {
    let link = std::fs::symlink_metadata(path).map_err(not_found_or_io)?;
    if link.file_type().is_symlink() {
        return Err(ConfigFileError::Symlink);
    }
    if !link.is_file() {
        return Err(ConfigFileError::NotRegular);
    }
    let file = open_no_follow(path).map_err(not_found_or_io)?;
    // Check what was opened, not what the path named a moment ago.
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(ConfigFileError::NotRegular);
    }
    if metadata.len() > MAX_BYTES {
        return Err(ConfigFileError::TooLarge(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // Bounded even if the file grows while it is read.
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ConfigFileError::TooLarge(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|_| ConfigFileError::NotUtf8)
}

fn not_found_or_io(err: std::io::Error) -> ConfigFileError {
    if err.kind() == std::io::ErrorKind::NotFound {
        ConfigFileError::NotFound
    } else {
        ConfigFileError::Io(err)
    }
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO swapped in after the check must not block the open.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(windows)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    // FILE_FLAG_OPEN_REPARSE_POINT: open a symbolic link itself, not its target.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

#[cfg(not(any(unix, windows)))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// Parses a size as people type it: `123`; `64K`, `100M`, `2G` and
/// `64KiB`, `100MiB`, `2GiB` (powers of 2, as in earlier versions); `64k`,
/// `64kB`, `100MB`, `2GB` (powers of 10, as disk vendors and `ls --si` write).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let multiplier: u64 = match suffix.trim_start() {
        "" | "B" | "b" => 1,
        "K" | "KiB" | "Ki" => 1 << 10,
        "M" | "m" | "MiB" | "Mi" => 1 << 20,
        "G" | "g" | "GiB" | "Gi" => 1 << 30,
        "k" | "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "unknown size unit {other:?}: use K, M, G or KiB, MiB, GiB (powers of 2), or k, kB, MB, GB (powers of 10)"
            ))
        }
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 500K, 100M, 1G or 10MB"))?;
    value
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_only_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ok");
        std::fs::write(&file, "abc\n").unwrap();
        assert_eq!(read(&file).unwrap(), "abc\n");
        assert!(matches!(
            read(&dir.path().join("missing")),
            Err(ConfigFileError::NotFound)
        ));
        assert!(matches!(read(dir.path()), Err(ConfigFileError::NotRegular)));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; MAX_BYTES as usize + 1]).unwrap();
        assert!(matches!(read(&big), Err(ConfigFileError::TooLarge(_))));
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert!(matches!(read(&link), Err(ConfigFileError::Symlink)));
            assert!(matches!(
                read(Path::new("/dev/zero")),
                Err(ConfigFileError::NotRegular)
            ));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("100m"), Ok(100 << 20));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("10k"), Ok(10_000));
        assert_eq!(parse_size("10kB"), Ok(10_000));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("10KiB"), Ok(10 << 10));
        assert_eq!(parse_size("10K"), Ok(10 << 10));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert!(parse_size("MB").is_err());
        assert!(parse_size("99999999999999G").is_err());
        assert!(parse_size("1X").is_err());
        assert!(parse_size("lots").is_err());
    }
}

//! Writing a report file (`-o`, `--sarif`) without following links.
//!
//! The report path often lies inside the checked-out repository, where a
//! pull request can commit `report.json -> ~/.bashrc` (or any file the CI user
//! can write). Opening the path for writing would follow that link and
//! overwrite its target. Instead the report is written to a new file created
//! next to it (exclusive creation never follows a link) and renamed over the
//! path at the end: a rename replaces a link itself, never its target, and a
//! reader never sees half a report.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A report being written; [`ReportFile::commit`] puts it in place.
pub struct ReportFile {
    file: Option<io::BufWriter<File>>,
    temp: PathBuf,
    dest: PathBuf,
}

impl ReportFile {
    /// Creates the temporary file next to `dest`.
    pub fn create(dest: &Path) -> io::Result<ReportFile> {
        let dir = match dest.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut attempt = 0u32;
        loop {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".vastleaks-{}-{attempt}.tmp", std::process::id()));
            let temp = dir.join(temp_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
            {
                Ok(file) => {
                    return Ok(ReportFile {
                        file: Some(io::BufWriter::new(file)),
                        temp,
                        dest: dest.to_path_buf(),
                    })
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Flushes the report and renames it over the destination.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("committed once");
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.dest)
    }
}

impl Write for ReportFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("not committed").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("not committed").flush()
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Not committed (an error on the way): leave no temporary behind.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `dest` through a [`ReportFile`].
pub fn write(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = ReportFile::create(dest)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_report_path_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let report = dir.path().join("report.json");
        std::os::unix::fs::symlink(&victim, &report).unwrap();
        write(&report, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "{}");
        assert!(!std::fs::symlink_metadata(&report)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}

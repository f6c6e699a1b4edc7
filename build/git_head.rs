//! Which commit a source tree is checked out at, read from its git directory
//! without running git (shared by `build.rs` and its unit tests).
//!
//! `.git` is a directory in a plain clone and a file (`gitdir: PATH`) in a
//! linked worktree or a submodule; a worktree keeps `HEAD` in its own git
//! directory and refs in the common one (named by its `commondir` file).

use std::path::{Path, PathBuf};

/// The files a build must watch, and the commit they name.
pub struct Head {
    /// `HEAD`'s commit, if it names one.
    pub commit: Option<String>,
    /// Files whose change means another commit: each exists now, so a build
    /// is not rerun for a file that never appears (cargo reruns a build
    /// script for every missing `rerun-if-changed` path).
    pub watch: Vec<PathBuf>,
}

/// Reads `dot_git` (the `.git` entry of a source tree); `None` when there is
/// none (a crates.io package or a tarball).
pub fn read(dot_git: &Path) -> Option<Head> {
    let git_dir = if dot_git.is_dir() {
        dot_git.to_path_buf()
    } else {
        let text = std::fs::read_to_string(dot_git).ok()?;
        let target = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
        match dot_git.parent() {
            Some(parent) if target.is_relative() => parent.join(target),
            _ => target,
        }
    };
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => {
            let common = PathBuf::from(text.trim());
            if common.is_relative() {
                git_dir.join(common)
            } else {
                common
            }
        }
        Err(_) => git_dir.clone(),
    };
    let head_file = git_dir.join("HEAD");
    let head = std::fs::read_to_string(&head_file).ok()?;
    let mut watch = vec![head_file];
    let head = head.trim();
    let id = match head.strip_prefix("ref: ") {
        None => Some(head.to_string()),
        Some(reference) => {
            let loose = common.join(reference);
            let packed = common.join("packed-refs");
            for file in [&loose, &packed] {
                if file.exists() {
                    watch.push(file.clone());
                }
            }
            let id = match std::fs::read_to_string(&loose) {
                Ok(id) => Some(id.trim().to_string()),
                Err(_) => std::fs::read_to_string(&packed).ok().and_then(|text| {
                    text.lines().find_map(|line| {
                        let (id, name) = line.split_once(' ')?;
                        (name == reference).then(|| id.to_string())
                    })
                }),
            };
            // No commit on the branch yet: its first commit adds the loose
            // ref to this directory.
            if id.is_none() {
                watch.extend(
                    loose
                        .parent()
                        .filter(|dir| dir.is_dir())
                        .map(Path::to_path_buf),
                );
            }
            id
        }
    };
    let commit = id.filter(|id| id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    Some(Head { commit, watch })
}

#[cfg(test)]
mod tests {
    use super::read;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_clone_a_packed_ref_and_a_linked_worktree_name_their_commit() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join("repo/.git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        // No such ref yet (a fresh `git init`): no commit, and nothing
        // missing is watched.
        let head = read(&git).unwrap();
        assert_eq!(head.commit, None);
        assert!(head.watch.iter().all(|p| p.exists()));
        // A packed ref.
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack-refs\n{ID} refs/heads/main\n"),
        )
        .unwrap();
        let head = read(&git).unwrap();
        assert_eq!(head.commit.as_deref(), Some(ID));
        assert!(head.watch.contains(&git.join("packed-refs")));
        // A loose ref wins.
        let other = ID.replace('0', "f");
        std::fs::write(git.join("refs/heads/main"), format!("{other}\n")).unwrap();
        assert_eq!(read(&git).unwrap().commit.as_deref(), Some(other.as_str()));
        // A linked worktree: `.git` is a file; HEAD is its own, refs are common.
        let worktree_git = git.join("worktrees/wt");
        std::fs::create_dir_all(&worktree_git).unwrap();
        std::fs::write(worktree_git.join("HEAD"), format!("{ID}\n")).unwrap();
        std::fs::write(worktree_git.join("commondir"), "../..\n").unwrap();
        let checkout = dir.path().join("wt");
        std::fs::create_dir_all(&checkout).unwrap();
        std::fs::write(
            checkout.join(".git"),
            format!("gitdir: {}\n", worktree_git.display()),
        )
        .unwrap();
        let head = read(&checkout.join(".git")).unwrap();
        assert_eq!(head.commit.as_deref(), Some(ID));
        assert_eq!(head.watch, vec![worktree_git.join("HEAD")]);
        std::fs::write(worktree_git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(
            read(&checkout.join(".git")).unwrap().commit.as_deref(),
            Some(other.as_str())
        );
        // No `.git` at all.
        assert!(read(&dir.path().join("none/.git")).is_none());
    }
}

//! Manual pages and shell completions, generated from the clap definitions in [`crate::cli`] so
//! they never disagree with the binary: written as files for the Debian package (by the
//! `bantop-package-files` binary), or one completion script on stdout (`bantop completions SHELL`).

pub mod completions;
pub mod man_pages;

use std::path::{Path, PathBuf};

/// Writes every manual page into `DIR/man/` and the bash, zsh and fish completions into
/// `DIR/completions/`; the files written.
pub fn write_package_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man_dir = dir.join("man");
    std::fs::create_dir_all(&man_dir)?;
    for page in man_pages::man_pages()? {
        let path = man_dir.join(&page.file_name);
        std::fs::write(&path, &page.roff)?;
        written.push(path);
    }
    let completions_dir = dir.join("completions");
    std::fs::create_dir_all(&completions_dir)?;
    for (shell, file_name) in completions::PACKAGED {
        let path = completions_dir.join(file_name);
        std::fs::write(&path, completions::script(shell))?;
        written.push(path);
    }
    Ok(written)
}

/// The name of every subcommand a user can type, as paths from the top (`["acl", "check"]`),
/// parents before their children; clap's `help` left out.
pub fn visible_subcommands() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut sub_path = path.to_vec();
            sub_path.push(sub.get_name().to_string());
            out.push(sub_path.clone());
            walk(sub, &sub_path, out);
        }
    }
    let mut out = Vec::new();
    walk(&built_command(), &[], &mut out);
    out
}

/// The whole command line as clap builds it, without clap's `help` subcommand (`--help` stays).
fn built_command() -> clap::Command {
    use clap::CommandFactory;
    let mut command = crate::cli::Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// The page called `name`, as text.
    fn page_text(pages: &[man_pages::ManPage], name: &str) -> Result<String, String> {
        let page = pages
            .iter()
            .find(|p| p.file_name == name)
            .ok_or(format!("no page {name}"))?;
        String::from_utf8(page.roff.clone()).map_err(|e| e.to_string())
    }

    /// Every subcommand a user can type has its manual page and is offered by the completion
    /// script of each shell the package ships.
    #[test]
    fn every_subcommand_has_a_man_page_and_completions() -> TestResult {
        let subcommands = visible_subcommands();
        assert!(subcommands.len() >= 15, "{subcommands:?}");
        assert!(subcommands.contains(&vec!["acl".to_string(), "check".to_string()]));
        let pages: Vec<String> = man_pages::man_pages()?
            .into_iter()
            .map(|page| page.file_name)
            .collect();
        assert_eq!(pages[0], "bantop.1");
        assert_eq!(pages.len(), subcommands.len() + 1, "{pages:?}");
        let mut scripts = Vec::new();
        for (shell, _) in completions::PACKAGED {
            scripts.push((shell, String::from_utf8(completions::script(shell))?));
        }
        for path in &subcommands {
            let page = format!("bantop-{}.1", path.join("-"));
            assert!(pages.contains(&page), "no man page {page}: {pages:?}");
            let name = path.join(" ");
            let last = path.last().ok_or("empty path")?;
            for (shell, script) in &scripts {
                assert!(
                    script.contains(last.as_str()),
                    "{shell} completions lack {name}"
                );
            }
        }
        Ok(())
    }

    /// The README's explanations are there: exit statuses, files, the other pages.
    #[test]
    fn pages_have_exit_status_files_and_see_also() -> TestResult {
        let pages = man_pages::man_pages()?;
        for name in ["bantop.1", "bantop-check.1", "bantop-acl-check.1"] {
            let text = page_text(&pages, name)?;
            for section in ["EXIT STATUS", "FILES", "SEE ALSO"] {
                let heading = |line: &str| line.strip_prefix(".SH ").map(|h| h.replace('"', ""));
                assert!(
                    text.lines()
                        .any(|line| heading(line).as_deref() == Some(section)),
                    "{name}: no {section}"
                );
            }
        }
        assert!(page_text(&pages, "bantop-check.1")?.contains("checklist failed"));
        assert!(page_text(&pages, "bantop.1")?.contains("bantop\\-acl\\-check(1)"));
        Ok(())
    }

    /// Writing the package files puts each where the Debian assets take it from.
    #[test]
    fn package_files_land_in_man_and_completions() -> TestResult {
        let dir = tempfile::tempdir()?;
        let written = write_package_files(dir.path())?;
        assert!(dir.path().join("man/bantop.1").is_file());
        assert!(dir.path().join("man/bantop-acl-check.1").is_file());
        for (_, file_name) in completions::PACKAGED {
            assert!(dir.path().join("completions").join(file_name).is_file());
        }
        let expected = visible_subcommands().len() + 1 + completions::PACKAGED.len();
        assert_eq!(written.len(), expected);
        Ok(())
    }
}

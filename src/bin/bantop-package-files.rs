//! `bantop-package-files DIR`: writes the manual pages (`DIR/man/`) and the bash, zsh and fish
//! completions (`DIR/completions/`) that the Debian package installs; run by
//! packaging/build-deb.sh. A binary of its own, so that `bantop` offers no hidden subcommand
//! (completion scripts would list it).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: bantop-package-files DIR");
        return ExitCode::from(2);
    };
    match bantop::docs::write_package_files(&PathBuf::from(dir)) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bantop-package-files: {error}");
            ExitCode::from(2)
        }
    }
}

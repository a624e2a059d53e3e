//! Shell completion scripts from the clap definitions, and where the package installs them.

use clap_complete::Shell;

/// The shells the package ships completions for, each with its file name in the package's
/// staging directory (the Debian assets in Cargo.toml place each where its shell looks).
pub const PACKAGED: [(Shell, &str); 3] = [
    (Shell::Bash, "bantop.bash"),
    (Shell::Zsh, "_bantop"),
    (Shell::Fish, "bantop.fish"),
];

/// The completion script of `bantop` for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = super::built_command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "bantop", &mut out);
    out
}

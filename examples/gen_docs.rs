//! Writes the man page and the shell completions, generated from the clap
//! definitions in `src/cli/args.rs`, into a directory: `man/vicidial-callbackd.1`
//! and `completions/` (bash, zsh, fish). `scripts/release.sh` runs it and
//! ships them in the tarball and the packages.
//!
//!   cargo run --example gen_docs -- DIR

use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;
use vicidial_callbackd::cli::args::Cli;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: gen_docs DIR"));
    let man = dir.join("man");
    let completions = dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    let cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    std::fs::write(man.join(format!("{name}.1")), page)?;
    for (shell, file) in [
        (Shell::Bash, format!("{name}.bash")),
        (Shell::Zsh, format!("_{name}")),
        (Shell::Fish, format!("{name}.fish")),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), &name, &mut out);
        std::fs::write(completions.join(file), out)?;
    }
    Ok(())
}

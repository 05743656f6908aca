//! Puts the commit into `--version` (`0.1.0 (commit 1a2b3c4d5e6f)`): from
//! `CALLBACKD_BUILD_COMMIT` when set (`scripts/release.sh` sets it, marking a
//! dirty tree), else from git, else "unknown" (a build outside a checkout).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=CALLBACKD_BUILD_COMMIT");
    let commit = std::env::var("CALLBACKD_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    // Rebuild when HEAD moves: a commit, a checkout, a fetch that repacks refs.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rustc-env=CALLBACKD_COMMIT={commit}");
}

/// One line of git's output, or `None` when git or the checkout is missing.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

//! The promise report as one self-contained HTML page.

use super::Report;

/// The page.
pub(crate) fn page(r: &Report) -> String {
    format!(
        "<!doctype html><title>promise report</title><pre>{}</pre>\n",
        super::render::table(r, false)
    )
}

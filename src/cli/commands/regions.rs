//! `nimo regions`: every region with documents, with its prefecture and passage count.

use std::io::Write;
use std::process::ExitCode;

use crate::app::App;
use crate::app::view::RegionView;
use crate::cli::render;

pub fn run(app: &App, json: bool, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let directory = app.library.regions();
    if json {
        let regions: Vec<RegionView> = directory.regions.iter().map(RegionView::new).collect();
        serde_json::to_writer(&mut *out, &serde_json::json!({ "regions": regions }))?;
        writeln!(out)?;
    } else {
        write!(out, "{}", render::regions(&directory))?;
    }
    Ok(ExitCode::SUCCESS)
}

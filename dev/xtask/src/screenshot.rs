//! Pictures of the weekly email as its owner sees it: on a desktop (720 px wide) and on a phone
//! (375 px), each as tall as the email is at that width.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use local_aws::chromium::Chromium;

/// The widths pictured, and the file each picture goes to.
const SHOTS: [(u32, &str); 2] = [(720, "report.png"), (375, "report-phone.png")];

/// Takes each picture of `html` into `out`; their paths.
pub(crate) fn report_shots(html: &Path, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let chromium = Chromium::find()?;
    let page = std::fs::read_to_string(html).with_context(|| html.display().to_string())?;
    let mut shots = Vec::new();
    for (width, name) in SHOTS {
        let layout = chromium.measure(&page, width, None)?;
        let png = out.join(name);
        chromium.screenshot(&page, width, layout.height.max(200), &png)?;
        println!(
            "  at {width} px: {} px wide, {} px tall",
            layout.width, layout.height
        );
        shots.push(png);
    }
    Ok(shots)
}

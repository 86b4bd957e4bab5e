//! Headless Chromium, to look at the email as a reader's client lays it out: how wide and how
//! tall it is at a given viewport width, and a screenshot of it. The project's tools install
//! Debian's `chromium` (`make tools`); `CHROMIUM` names another binary.
//!
//! Chromium is started with a fresh profile and with background networking off: the machines
//! this runs on have no internet, and Chromium's calls home would otherwise fail at every start.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

/// A Chromium binary.
#[derive(Debug, Clone)]
pub struct Chromium {
    binary: PathBuf,
}

/// What a page measures at a viewport width, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The document's scroll width: wider than the viewport means sideways scrolling.
    pub width: u32,
    /// The document's scroll height.
    pub height: u32,
    /// Where the element with the id asked for starts, from the top, if there is one.
    pub element_top: Option<u32>,
}

impl Chromium {
    /// `CHROMIUM`, or the first of `chromium`, `chromium-browser`, `google-chrome` on the path.
    pub fn find() -> anyhow::Result<Self> {
        if let Ok(binary) = std::env::var("CHROMIUM") {
            return Ok(Self {
                binary: binary.into(),
            });
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
            .find(|candidate| candidate.is_file())
            .map(|binary| Self { binary })
            .context(
                "no Chromium on the PATH: run `make tools` (Debian's chromium), or set CHROMIUM",
            )
    }

    fn command(&self, width: u32, height: u32) -> anyhow::Result<Command> {
        let profile = std::env::temp_dir().join(format!(
            "cv-analytics-chromium-{}-{}",
            std::process::id(),
            width
        ));
        std::fs::create_dir_all(&profile).context("a Chromium profile folder")?;
        let mut command = Command::new(&self.binary);
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ]);
        command.arg(format!("--user-data-dir={}", profile.display()));
        command.arg(format!("--window-size={width},{height}"));
        Ok(command)
    }

    /// How `html` lays out at a viewport `width` wide, and where the element `id` starts (if
    /// given): the page in a frame of exactly that width (headless Chromium's own window is
    /// never narrower than 500 px, so a phone's width cannot be its window's), with a script
    /// that writes the frame's measures into the title, read back from the DOM Chromium dumps.
    pub fn measure(&self, html: &str, width: u32, id: Option<&str>) -> anyhow::Result<Layout> {
        let script = format!(
            "<script>window.addEventListener('load', function () {{ \
             var f = document.getElementById('frame').contentDocument; var d = f.documentElement; \
             var e = {}; document.title = 'LAYOUT ' + d.scrollWidth + ' ' + d.scrollHeight + ' ' + \
             (e ? Math.round(e.getBoundingClientRect().top) : -1); }});</script>",
            id.map_or("null".to_owned(), |id| format!("f.getElementById('{id}')"))
        );
        let page = self.temporary_page("measure", width, &framed(html, width, 900, &script))?;
        let output = self
            .command(width.max(MIN_WINDOW), 900)?
            .args(["--virtual-time-budget=2000", "--dump-dom"])
            .arg(file_url(&page))
            .output()
            .context("run Chromium")?;
        let _ = std::fs::remove_file(&page);
        let dom = String::from_utf8_lossy(&output.stdout);
        let title = dom
            .split("LAYOUT ")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .with_context(|| {
                format!(
                    "Chromium did not lay the page out: {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            })?;
        let numbers: Vec<i64> = title
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [width, height, top] = numbers[..] else {
            anyhow::bail!("unexpected measures {title:?}");
        };
        Ok(Layout {
            width: u32::try_from(width).unwrap_or(0),
            height: u32::try_from(height).unwrap_or(0),
            element_top: u32::try_from(top).ok(),
        })
    }

    /// A PNG of the top `height` pixels of `html` laid out at a viewport `width` wide (in a
    /// frame of that width, as [`Chromium::measure`] lays it out).
    pub fn screenshot(
        &self,
        html: &str,
        width: u32,
        height: u32,
        png: &Path,
    ) -> anyhow::Result<()> {
        let page = self.temporary_page("screenshot", width, &framed(html, width, height, ""))?;
        let output = self
            .command(width, height)?
            .arg(format!("--screenshot={}", png.display()))
            .arg(file_url(&page))
            .output()
            .context("run Chromium")?;
        let _ = std::fs::remove_file(&page);
        anyhow::ensure!(
            png.is_file(),
            "Chromium wrote no screenshot: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    fn temporary_page(&self, what: &str, width: u32, html: &str) -> anyhow::Result<PathBuf> {
        let page = std::env::temp_dir().join(format!(
            "cv-analytics-{what}-{}-{width}.html",
            std::process::id()
        ));
        std::fs::write(&page, html).with_context(|| page.display().to_string())?;
        Ok(page)
    }
}

/// Headless Chromium's narrowest window: a narrower `--window-size` lays pages out at this.
const MIN_WINDOW: u32 = 500;

/// A page that shows `html` in a frame `width` by `height` pixels at its top left, and runs
/// `script` (which may read the frame's document, the same origin as a `srcdoc`).
fn framed(html: &str, width: u32, height: u32, script: &str) -> String {
    let escaped = html.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>\
         <body style=\"margin:0\"><iframe id=\"frame\" style=\"border:0; display:block; \
         width:{width}px; height:{height}px\" srcdoc=\"{escaped}\"></iframe>{script}</body></html>"
    )
}

fn file_url(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display())
}

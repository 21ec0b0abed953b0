//! What the browser tests stand on: a real `bilim serve` on a free port with its own
//! data folder, Debian's ChromeDriver and headless Chromium, axe-core from npm (pinned,
//! installed into the build folder, never committed: its MPL licence stays out of the
//! repository), and the checks every page state goes through.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;

/// The axe-core release the checks run; the rule set changes between releases.
pub const AXE_VERSION: &str = "4.14.1";
/// The axe tags the pages must pass without a violation.
pub const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
/// The widths every page state is checked at: a small phone and a desktop.
pub const WIDTHS: [u32; 2] = [320, 1280];

pub type TestResult = Result<(), String>;

/// Turns any error into the test's failure message.
pub trait Context<T> {
    fn context(self, what: &str) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: &str) -> Result<T, String> {
        self.ok_or_else(|| what.to_owned())
    }
}

/// The programs the tests need, or why they cannot run here.
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub npm: PathBuf,
}

impl Tools {
    pub fn find() -> Result<Tools, String> {
        let chromium = program("BILIM_CHROMIUM", &["/usr/bin/chromium", "/usr/bin/chromium-browser"])
            .ok_or("Chromium is not installed (apt install chromium, or set BILIM_CHROMIUM)")?;
        let chromedriver = program("BILIM_CHROMEDRIVER", &["/usr/bin/chromedriver"])
            .ok_or("ChromeDriver is not installed (apt install chromium-driver, or set BILIM_CHROMEDRIVER)")?;
        let npm = program("BILIM_NPM", &["/usr/bin/npm", "/usr/local/bin/npm"])
            .ok_or("npm is not installed (it installs the pinned axe-core)")?;
        Ok(Tools {
            chromium,
            chromedriver,
            npm,
        })
    }
}

fn program(variable: &str, defaults: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(variable) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    defaults.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// axe-core's source, installed from npm into the build folder on first use.
pub fn axe_source(npm: &Path) -> Result<String, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-tools");
    let file = dir.join("node_modules/axe-core/axe.min.js");
    let installed = std::fs::read_to_string(dir.join("node_modules/axe-core/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|package| package["version"].as_str().map(str::to_owned));
    if installed.as_deref() != Some(AXE_VERSION) {
        std::fs::create_dir_all(&dir).context("create the browser tools folder")?;
        let status = Command::new(npm)
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--prefix",
            ])
            .arg(&dir)
            .arg(format!("axe-core@{AXE_VERSION}"))
            .stdout(Stdio::null())
            .status()
            .context("run npm")?;
        if !status.success() {
            return Err(format!("npm could not install axe-core@{AXE_VERSION}"));
        }
    }
    std::fs::read_to_string(&file).context("read axe.min.js")
}

fn copy_dir(from: &Path, to: &Path) -> TestResult {
    std::fs::create_dir_all(to).context("make a folder")?;
    for entry in std::fs::read_dir(from).context("read a folder")? {
        let entry = entry.context("read a folder entry")?;
        let target = to.join(entry.file_name());
        if entry.file_type().context("read a file type")?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).context("copy a file")?;
        }
    }
    Ok(())
}

/// A free port on the loopback interface.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr().context("read the port")?.port())
}

fn wait_for_port(port: u16, what: &str) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} did not start listening on port {port}"))
}

/// A `bilim serve` of its own, with an empty SQLite database in a temporary folder.
pub struct Server {
    child: Child,
    pub url: String,
    pub data_dir: tempfile::TempDir,
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(courses_dir: &Path) -> Result<Server, String> {
        let data_dir = tempfile::tempdir().context("make a data folder")?;
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_bilim"));
        command.arg("serve");
        Self::environment(&mut command, data_dir.path(), courses_dir, &url);
        let log = std::fs::File::create(data_dir.path().join("server.log")).context("create the server log")?;
        let mut child = command
            .env("BILIM_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("start bilim")?;
        let output = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = child.stdout.take() {
            let lines = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Ok(mut lines) = lines.lock() {
                        lines.push(line);
                    }
                }
            });
        }
        let server = Server {
            child,
            url,
            data_dir,
            output,
        };
        wait_for_port(port, "bilim")?;
        Ok(server)
    }

    fn environment(command: &mut Command, data_dir: &Path, courses_dir: &Path, url: &str) {
        command
            .env_remove("DATABASE_URL")
            .env("BILIM_DATA_DIR", data_dir)
            .env("BILIM_COURSES_DIR", courses_dir)
            .env("BILIM_PUBLIC_URL", url)
            .env("BILIM_SECRET", "browser-tests-secret-0123456789abcdef-0123")
            .env("RUST_LOG", "warn");
    }

    /// The one-time setup address the server printed at start.
    pub fn setup_address(&self) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let found = self
                .output
                .lock()
                .ok()
                .and_then(|lines| lines.iter().find(|l| l.contains("/setup?token=")).cloned());
            if let Some(line) = found {
                return Ok(line.trim().to_owned());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("the server printed no setup address".into())
    }

    /// The address of the last link with `path` in a message to `to`.
    pub fn link_sent_to(&self, to: &str, path: &str) -> Result<String, String> {
        use bilim::db::schema::outbox;
        use diesel::prelude::*;
        let database = self.data_dir.path().join("bilim.db");
        let mut conn = diesel::SqliteConnection::establish(&database.to_string_lossy()).context("open the database")?;
        let bodies: Vec<String> = outbox::table
            .filter(outbox::recipient.eq(to))
            .order(outbox::id.desc())
            .select(outbox::text_body)
            .load(&mut conn)
            .context("read the outbox")?;
        let prefix = format!("{}{path}", self.url);
        bodies
            .iter()
            .find_map(|body| {
                let start = body.find(&prefix)?;
                let link: String = body
                    .get(start..)?
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '>' && *c != ')')
                    .collect();
                Some(link)
            })
            .ok_or_else(|| format!("no message to {to} has a link to {path}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// ChromeDriver on a free port.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(tools: &Tools) -> Result<Driver, String> {
        let port = free_port()?;
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start chromedriver")?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_for_port(port, "chromedriver")?;
        Ok(driver)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything the trials share: started once, by the first trial that runs.
pub struct World {
    _courses: tempfile::TempDir,
    pub server: Server,
    pub driver: Driver,
    pub chromium: PathBuf,
    pub axe: String,
    pub screenshots: PathBuf,
    /// What one journey leaves for the next: addresses, passwords, ids.
    notes: Mutex<std::collections::HashMap<String, String>>,
    /// The browser windows opened, closed after each trial however it ended.
    windows: Mutex<Vec<WebDriver>>,
}

impl World {
    pub fn start(tools: &Tools) -> Result<World, String> {
        let started = Instant::now();
        let axe = axe_source(&tools.npm)?;
        eprintln!("    axe-core {AXE_VERSION} ready after {:?}", started.elapsed());
        // The shipped courses and the short course the journeys complete, side by side.
        let courses = tempfile::tempdir().context("make a courses folder")?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        copy_dir(&root.join("courses"), courses.path())?;
        copy_dir(
            &root.join("tests/fixtures/courses/browser/cyber-basics"),
            &courses.path().join("cyber-basics"),
        )?;
        let server = Server::start(courses.path())?;
        eprintln!("    bilim serving the courses after {:?}", started.elapsed());
        let driver = Driver::start(tools)?;
        let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
        std::fs::create_dir_all(&screenshots).context("make the screenshots folder")?;
        Ok(World {
            _courses: courses,
            server,
            driver,
            chromium: tools.chromium.clone(),
            axe,
            screenshots,
            notes: Mutex::new(std::collections::HashMap::new()),
            windows: Mutex::new(Vec::new()),
        })
    }

    /// A new browser window, signed in to nothing.
    pub async fn browser(&self) -> Result<Browser<'_>, String> {
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&self.chromium.to_string_lossy())
            .context("set the binary")?;
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--lang=en-US",
            "--window-size=1280,900",
        ] {
            caps.add_arg(arg).context("add an argument")?;
        }
        let driver = WebDriver::new(&self.driver.url, caps).await.context("open a browser")?;
        if let Ok(mut windows) = self.windows.lock() {
            windows.push(driver.clone());
        }
        Ok(Browser { world: self, driver })
    }

    /// Closes every browser window a trial opened, including those it left open when
    /// it failed half-way.
    pub async fn close_windows(&self) {
        let windows: Vec<WebDriver> = self
            .windows
            .lock()
            .map(|mut w| w.drain(..).collect())
            .unwrap_or_default();
        for window in windows {
            // A window the trial closed itself answers with an error: nothing to do.
            let _ = window.quit().await;
        }
    }

    pub fn note(&self, key: &str, value: &str) {
        if let Ok(mut notes) = self.notes.lock() {
            notes.insert(key.to_owned(), value.to_owned());
        }
    }

    /// What an earlier journey noted; its absence means that journey failed.
    pub fn noted(&self, key: &str) -> Result<String, String> {
        self.notes
            .lock()
            .ok()
            .and_then(|notes| notes.get(key).cloned())
            .ok_or_else(|| format!("an earlier journey did not get as far as noting {key}"))
    }
}

/// A browser window driven by a test.
pub struct Browser<'w> {
    pub world: &'w World,
    pub driver: WebDriver,
}

/// What the checks found wrong on one page state.
#[derive(Debug, serde::Deserialize)]
struct FocusProblem {
    element: String,
    problem: String,
}

impl Browser<'_> {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.world.server.url)
    }

    pub async fn open(&self, path: &str) -> TestResult {
        self.driver.goto(self.url(path)).await.context(&format!("open {path}"))
    }

    pub async fn path(&self) -> Result<String, String> {
        let url = self.driver.current_url().await.context("read the address")?;
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        Ok(path)
    }

    pub async fn fill(&self, css: &str, text: &str) -> TestResult {
        let field = self.driver.find(By::Css(css)).await.context(&format!("find {css}"))?;
        field.clear().await.context(&format!("clear {css}"))?;
        field.send_keys(text).await.context(&format!("type into {css}"))
    }

    pub async fn choose(&self, select_css: &str, value: &str) -> TestResult {
        let option = format!("{select_css} option[value='{value}']");
        self.click(&option).await
    }

    pub async fn click(&self, css: &str) -> TestResult {
        let element = self.driver.find(By::Css(css)).await.context(&format!("find {css}"))?;
        element.scroll_into_view().await.context(&format!("scroll to {css}"))?;
        element.click().await.context(&format!("click {css}"))
    }

    /// Clicks something that loads a new page (a link, a form's button) and waits
    /// until the new page has loaded.
    pub async fn go(&self, css: &str) -> TestResult {
        self.script("window.__bilimOldPage = true;", Vec::new()).await?;
        self.click(css).await?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let state = self
                .script(
                    "return window.__bilimOldPage === true ? 'old' : document.readyState;",
                    Vec::new(),
                )
                .await
                .unwrap_or(json!("loading"));
            if state == json!("complete") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("clicking {css} did not load a new page within a minute"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> Result<String, String> {
        let element = self.driver.find(By::Css(css)).await.context(&format!("find {css}"))?;
        element.text().await.context(&format!("read {css}"))
    }

    pub async fn has(&self, css: &str) -> Result<bool, String> {
        Ok(!self
            .driver
            .find_all(By::Css(css))
            .await
            .context(&format!("look for {css}"))?
            .is_empty())
    }

    pub async fn attr(&self, css: &str, name: &str) -> Result<String, String> {
        let element = self.driver.find(By::Css(css)).await.context(&format!("find {css}"))?;
        element
            .attr(name)
            .await
            .context(&format!("read {name} of {css}"))?
            .context(&format!("{css} has no {name}"))
    }

    pub async fn script(&self, source: &str, args: Vec<Value>) -> Result<Value, String> {
        let result = self.driver.execute(source, args).await.context("run a script")?;
        Ok(result.json().clone())
    }

    /// Signs in through the form; the person lands on their home page.
    pub async fn sign_in(&self, email: &str, password: &str, lang: &str) -> TestResult {
        self.open(&format!("/login?lang={lang}")).await?;
        self.fill("#email", email).await?;
        self.fill("#password", password).await?;
        self.go("form[action='/login'] button[type=submit]").await?;
        let landed = self.path().await?;
        if landed != "/" {
            return Err(format!(
                "{email} signed in and landed on {landed}, not on their home page"
            ));
        }
        Ok(())
    }

    pub async fn sign_out(&self) -> TestResult {
        self.go("form[action='/logout'] button").await
    }

    async fn set_width(&self, width: u32) -> TestResult {
        self.driver
            .cdp()
            .emulation()
            .set_device_metrics_override(width, 900, 1.0, width < 600)
            .await
            .context("set the viewport")
    }

    /// The checks every page state passes, at a phone's and a desktop's width: axe
    /// finds no violation of WCAG 2.2 A and AA, nothing scrolls sideways, and every
    /// interactive element can be reached by keyboard and shows a focus indicator
    /// with enough contrast. `name` labels failures.
    pub async fn check_page(&self, name: &str) -> TestResult {
        eprintln!("    checking: {name}");
        let mut problems = Vec::new();
        for width in WIDTHS {
            self.set_width(width).await?;
            problems.extend(
                self.axe_violations()
                    .await?
                    .into_iter()
                    .map(|v| format!("{width}px axe: {v}")),
            );
            let sideways = self
                .script(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    Vec::new(),
                )
                .await?;
            let (scroll, inner) = (sideways[0].as_i64().unwrap_or(0), sideways[1].as_i64().unwrap_or(0));
            if scroll > inner {
                problems.push(format!("{width}px: the page scrolls sideways ({scroll} > {inner})"));
            }
            for focus in self.focus_problems().await? {
                problems.push(format!("{width}px focus: {} — {}", focus.element, focus.problem));
            }
        }
        self.set_width(1280).await?;
        if problems.is_empty() {
            Ok(())
        } else {
            let path = self.path().await.unwrap_or_default();
            Err(format!("{name} ({path}):\n  {}", problems.join("\n  ")))
        }
    }

    async fn axe_violations(&self) -> Result<Vec<String>, String> {
        let loaded = self.script("return typeof window.axe;", Vec::new()).await?;
        if loaded != json!("object") {
            self.driver
                .execute(self.world.axe.as_str(), Vec::new())
                .await
                .context("load axe-core")?;
        }
        let result = self
            .driver
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { runOnly: { type: 'tag', values: arguments[0] } })
                      .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' +
                          v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
                      .catch(e => done(['axe failed: ' + e]));"#,
                vec![json!(AXE_TAGS)],
            )
            .await
            .context("run axe")?;
        Ok(result
            .json()
            .as_array()
            .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }

    /// Focuses each interactive element in turn and reads what changes. An element is
    /// reachable when it takes focus from the keyboard's order (tabindex ≥ 0); its
    /// indicator is visible when the outline, shadow or background changes with at
    /// least 3:1 against what surrounds it; focused text keeps 4.5:1.
    async fn focus_problems(&self) -> Result<Vec<FocusProblem>, String> {
        let found = self.script(FOCUS_CHECK, Vec::new()).await?;
        serde_json::from_value(found).context("read the focus check")
    }

    /// Saves a screenshot of the whole page at `width` under `name`.
    pub async fn screenshot(&self, name: &str, width: u32) -> TestResult {
        self.set_width(width).await?;
        let height = self
            .script(
                "return Math.min(document.documentElement.scrollHeight, 6000);",
                Vec::new(),
            )
            .await?
            .as_u64()
            .unwrap_or(900);
        let height = u32::try_from(height).unwrap_or(900).max(600);
        self.driver
            .cdp()
            .emulation()
            .set_device_metrics_override(width, height, 1.0, width < 600)
            .await
            .context("size the page")?;
        let file = self.world.screenshots.join(format!("{name}-{width}.png"));
        self.driver.screenshot(&file).await.context("take a screenshot")?;
        // Back to a desktop's width; clearing the override instead leaves headless
        // Chromium's next click waiting two minutes for a frame.
        self.set_width(1280).await
    }

    pub async fn quit(self) -> TestResult {
        self.driver.quit().await.context("close the browser")
    }
}

/// The focus check, in the page: returns `[{element, problem}]`.
const FOCUS_CHECK: &str = r#"
const problems = [];
const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  const p = m[1].split(',').map(s => parseFloat(s)); return {r:p[0], g:p[1], b:p[2], a: p.length > 3 ? p[3] : 1}; };
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
const background = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
  if (c && c.a > 0.5) return c; } return {r:255, g:255, b:255, a:1}; };
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.getAttribute('href') ? '[href="' + el.getAttribute('href') + '"]' : '') +
  (el.getAttribute('name') ? '[name="' + el.getAttribute('name') + '"]' : '') +
  ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex^='-'])";
const visible = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
const scrollY = window.scrollY;
for (const el of document.querySelectorAll(selector)) {
  if (el.disabled || el.closest('[inert]') || el.id === 'main') continue;
  if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
  const skip = el.classList.contains('skip-link');
  if (!skip && !visible(el)) continue;
  if (el.tabIndex < 0) { problems.push({element: describe(el), problem: 'not reachable by keyboard (tabindex < 0)'}); continue; }
  const before = getComputedStyle(el);
  const snapshot = { outline: before.outlineStyle + before.outlineWidth + before.outlineColor,
    shadow: before.boxShadow, bg: before.backgroundColor };
  el.focus({focusVisible: true});
  if (document.activeElement !== el) { problems.push({element: describe(el), problem: 'does not take focus'}); continue; }
  const after = getComputedStyle(el);
  const around = background(el.parentElement || document.body);
  const candidates = [];
  if (after.outlineStyle !== 'none' && parseFloat(after.outlineWidth) >= 2) candidates.push(parse(after.outlineColor));
  if (after.boxShadow !== 'none' && after.boxShadow !== snapshot.shadow) candidates.push(parse(after.boxShadow));
  if (after.backgroundColor !== snapshot.bg) candidates.push(parse(after.backgroundColor));
  const shown = candidates.filter(c => c).map(c => ratio(c, around));
  if (shown.length === 0) { problems.push({element: describe(el), problem: 'no visible focus indicator'}); }
  else if (Math.max(...shown) < 3) { problems.push({element: describe(el), problem: 'focus indicator contrast ' + Math.max(...shown).toFixed(2) + ':1 < 3:1'}); }
  const text = (el.innerText || '').trim();
  if (text && !['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) {
    const color = parse(after.color); const bg = background(el);
    if (color && ratio(color, bg) < 4.5) problems.push({element: describe(el), problem: 'focused text contrast ' + ratio(color, bg).toFixed(2) + ':1 < 4.5:1'});
  }
  el.blur();
}
window.scrollTo(0, scrollY);
return problems;
"#;

//! Importing courses at scale, and starting the server with the shipped curriculum.
//!
//! `cargo bench --bench import` writes a synthetic courses folder of 20 courses × 50
//! modules (1,000 modules) in the real course format: each module in English, Russian
//! and Kazakh, with law references, a link to the next module, an attachment and a
//! Kazakhstani adaptation of one section; each course with a pre-test and a final test
//! in GIFT. It then prints how long reading and checking the folder take, importing it
//! into a fresh SQLite database, importing it again unchanged, importing the shipped
//! courses into a fresh database, and `bilim serve` with the shipped courses until
//! `/healthz` answers.
//!
//! The goals (issue 16): 1,000 modules in 10 s or less, start-up in 1 s or less.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bilim::courses::{import, load, sections};
use bilim::db::{self, DatabaseUrl, DbConnection};

const COURSES: usize = 20;
const MODULES: usize = 50;
const SECTIONS: usize = 5;
/// Concepts of the shipped `_law` files the modules cite.
const CONCEPTS: [&str; 4] = [
    "unauthorised_access",
    "fraud",
    "data_interference",
    "system_interference",
];

/// Words for the generated prose, per language, so that each text has the letters and
/// lengths of real text in its script.
fn words(language: &str) -> &'static [&'static str] {
    match language {
        "ru" => &[
            "следователь",
            "доказательство",
            "компьютерная",
            "информация",
            "провайдер",
            "запрос",
            "сохранение",
            "данных",
            "преступление",
            "система",
            "изъятие",
            "эксперт",
            "журнал",
            "соединения",
            "адрес",
            "время",
            "и",
            "в",
            "по",
            "для",
        ],
        "kk" => &[
            "тергеуші",
            "дәлел",
            "компьютерлік",
            "ақпарат",
            "провайдер",
            "сұрау",
            "сақтау",
            "деректер",
            "қылмыс",
            "жүйе",
            "алу",
            "сарапшы",
            "журнал",
            "қосылым",
            "мекенжай",
            "уақыт",
            "және",
            "үшін",
            "бойынша",
            "туралы",
        ],
        _ => &[
            "investigator",
            "evidence",
            "computer",
            "information",
            "provider",
            "request",
            "preservation",
            "data",
            "offence",
            "system",
            "seizure",
            "expert",
            "log",
            "connection",
            "address",
            "time",
            "and",
            "in",
            "for",
            "the",
        ],
    }
}

/// A deterministic sentence of `n` words; `seed` varies it between texts.
fn sentence(language: &str, seed: usize, n: usize) -> String {
    let words = words(language);
    let mut out = String::new();
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12_345);
    for i in 0..n {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let word = words[(state >> 33) % words.len()];
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
    out
}

fn paragraph(language: &str, seed: usize) -> String {
    (0..4)
        .map(|i| sentence(language, seed * 7 + i, 9 + (seed + i) % 8))
        .collect::<Vec<_>>()
        .join(" ")
}

fn module_folder(number: usize) -> String {
    format!("{number:02}-topic-{number:02}")
}

/// The Markdown of one section: a heading with its id, prose, a list, a law reference
/// and, in the last section, a link to the next module.
fn section_markdown(language: &str, course: usize, module: usize, section: usize, national: bool) -> String {
    let seed = (course * 1_000 + module) * 100 + section;
    let heading = sentence(language, seed, 3);
    let mut text = format!("## {} {{#part-{section}}}\n\n", heading.trim_end_matches('.'));
    text.push_str(&paragraph(language, seed));
    text.push_str("\n\n");
    for item in 0..3 {
        let _ = writeln!(text, "- {}", sentence(language, seed * 3 + item, 6));
    }
    text.push('\n');
    let concept = CONCEPTS[(module + section) % CONCEPTS.len()];
    let _ = write!(
        text,
        "{} {{{{law:{concept}}}}}.\n\n",
        sentence(language, seed + 17, 8).trim_end_matches('.')
    );
    if national {
        text.push_str("> [!LEGAL]\n> ");
        text.push_str(&sentence(language, seed + 23, 14));
        text.push_str("\n\n");
    }
    text.push_str(&paragraph(language, seed + 31));
    if section + 1 == SECTIONS {
        if module < MODULES {
            let _ = write!(text, "\n\n[→](../{}/)", module_folder(module + 1));
        }
        text.push_str("\n\n[checklist.txt](checklist.txt)");
    }
    text.push('\n');
    text
}

fn module_text(language: &str, course: usize, module: usize) -> String {
    let mut text = String::from("+++\n");
    let _ = writeln!(
        text,
        "title = \"{}\"",
        sentence(language, course * 1_000 + module, 4).trim_end_matches('.')
    );
    let _ = writeln!(text, "minutes = {}", 20 + module % 25);
    text.push_str("outcomes = [\n");
    for outcome in 0..3 {
        let _ = writeln!(
            text,
            "  \"{}\",",
            sentence(language, module * 10 + outcome, 10).trim_end_matches('.')
        );
    }
    text.push_str("]\n+++\n\n");
    text.push_str(&paragraph(language, course * 1_000 + module + 5));
    text.push_str("\n\n");
    for section in 0..SECTIONS {
        text.push_str(&section_markdown(language, course, module, section, false));
        text.push('\n');
    }
    text
}

/// Kazakhstan's adaptation of the Russian text's second section, recorded as made from
/// its current version.
fn adaptation(course: usize, module: usize, russian: &str) -> String {
    let base = sections::split(russian, 1);
    let adapted = 1;
    let fingerprint = &base.sections[adapted].fingerprint;
    format!(
        "+++\n[based_on]\npart-{adapted} = \"{fingerprint}\"\n+++\n\n{}",
        section_markdown("ru", course, module, adapted, true)
    )
}

const GIFT_EN: &str = "\
$CATEGORY: basics

::q1::Which of these is a cyber-dependent offence?{
=A DDoS attack on a bank#Correct.
~Threats sent by e-mail#E-mail is only the means.
~Drugs sold in a messenger#The drug trade exists without ICT.
####Cyber-dependent offences target computer data and systems.}

::q2::True or false? An IP address identifies a person.{F####It identifies a connection.}

::q3::Which of these does a provider keep? Choose all that apply.{
~%50%Subscriber information
~%50%Traffic data
~%-100%The suspect's thoughts
}

::q4::How many hours are in a day?{#24:0}

::q5::Name the hash function most often used for disk images today.{=SHA-256 =SHA256}

::q6::Match each measure to its article.{
=Preservation -> Article 16
=Production order -> Article 18
=Search and seizure -> Article 19
}

::q7::Explain in a few sentences why the chain of custody matters.{}
";

const GIFT_RU: &str = "\
$CATEGORY: basics

::q1::Какое из этих деяний является киберзависимым преступлением?{
=DDoS-атака на банк#Верно.
~Угрозы по электронной почте#Почта лишь средство.
~Продажа наркотиков в мессенджере#Торговля наркотиками существует и без ИКТ.
####Киберзависимые преступления направлены против данных и систем.}

::q2::Верно или нет? IP-адрес указывает на человека.{F####Он указывает на соединение.}

::q3::Что хранит провайдер? Выберите все верные ответы.{
~%50%Сведения об абоненте
~%50%Данные о трафике
~%-100%Мысли подозреваемого
}

::q4::Сколько часов в сутках?{#24:0}

::q5::Назовите хеш-функцию, которую чаще всего применяют к образам дисков.{=SHA-256 =SHA256}

::q6::Сопоставьте меру и статью.{
=Сохранение -> Статья 16
=Требование о предоставлении -> Статья 18
=Обыск и выемка -> Статья 19
}

::q7::Объясните в нескольких предложениях, зачем нужна цепочка хранения.{}
";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Writes the synthetic courses folder under `dir`, with the shipped law and glossary
/// files that its references need.
fn generate(dir: &Path) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    for folder in ["_law", "_glossary"] {
        for entry in std::fs::read_dir(shipped.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::create_dir_all(dir.join(folder)).unwrap();
            std::fs::copy(&path, dir.join(folder).join(path.file_name().unwrap())).unwrap();
        }
    }
    for course in 1..=COURSES {
        let course_dir = dir.join(format!("synthetic-course-{course:02}"));
        write(
            &course_dir.join("course.toml"),
            &format!(
                "version = \"1.0\"\nhours = 20\naudience = [\"police\", \"investigator\"]\n\n\
                 [completion]\nmodules = \"all\"\nquizzes = [\"final\"]\n\n\
                 [title]\nen = \"Synthetic course {course}\"\nru = \"Учебный курс {course}\"\nkk = \"Оқу курсы {course}\"\n\n\
                 [summary]\nen = \"{}\"\nru = \"{}\"\nkk = \"{}\"\n",
                sentence("en", course, 20),
                sentence("ru", course, 20),
                sentence("kk", course, 20)
            ),
        );
        for module in 1..=MODULES {
            let module_dir = course_dir.join(module_folder(module));
            let mut russian = String::new();
            for language in ["en", "ru", "kk"] {
                let text = module_text(language, course, module);
                write(&module_dir.join(format!("{language}.md")), &text);
                if language == "ru" {
                    russian = text;
                }
            }
            let body = &russian[russian.find("\n+++\n").unwrap() + 5..];
            write(&module_dir.join("national/kz/ru.md"), &adaptation(course, module, body));
            write(
                &module_dir.join("checklist.txt"),
                &format!("{}\n", paragraph("en", course * 1_000 + module)),
            );
        }
        let quizzes = course_dir.join("quizzes");
        write(
            &quizzes.join("pre-test/quiz.toml"),
            "pass_mark = 0\nattempts = 1\nshow_answers = \"never\"\n\n[title]\nen = \"Pre-test\"\nru = \"Входной тест\"\n",
        );
        write(
            &quizzes.join("final/quiz.toml"),
            "pass_mark = 70\nattempts = 3\npick = 5\nshuffle_answers = true\npre_test = \"pre-test\"\n\n\
             [title]\nen = \"Final test\"\nru = \"Итоговый тест\"\n",
        );
        for quiz in ["pre-test", "final"] {
            write(&quizzes.join(quiz).join("en.gift"), GIFT_EN);
            write(&quizzes.join(quiz).join("ru.gift"), GIFT_RU);
        }
    }
}

fn fresh_database(dir: &Path) -> db::DbPool {
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.join("bilim.db").display())).unwrap();
    let pool = db::connect(&url, 1).unwrap();
    db::migrate(&mut pool.get().unwrap()).unwrap();
    pool
}

fn timed<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = work();
    eprintln!("{what}: {:.2?}", started.elapsed());
    result
}

/// Loads and imports `courses` into `conn`, printing the two times.
fn import_folder(label: &str, conn: &mut DbConnection, courses: &Path) -> (load::Catalogue, import::ImportReport) {
    let catalogue = timed(&format!("{label}: read and check"), || load::load(courses));
    let errors: Vec<String> = catalogue
        .diagnostics
        .all()
        .iter()
        .filter(|d| d.severity == load::Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "the folder has errors:\n{}", errors.join("\n"));
    let report = timed(&format!("{label}: import"), || {
        import::import(conn, &catalogue).unwrap()
    });
    (catalogue, report)
}

/// Starts `bilim serve` on a fresh data folder with the shipped courses and answers how
/// long `/healthz` took to answer.
fn start_up() -> Duration {
    let data = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let started = Instant::now();
    let mut server = Command::new(env!("CARGO_BIN_EXE_bilim"))
        .arg("serve")
        .env("BILIM_DATA_DIR", data.path())
        .env("BILIM_BIND", address.to_string())
        .env(
            "BILIM_COURSES_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("courses"),
        )
        .env("BILIM_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BILIM_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let answered = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(address) {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            if response.starts_with("HTTP/1.1 200") {
                break started.elapsed();
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        std::thread::sleep(Duration::from_millis(5));
    };
    server.kill().unwrap();
    server.wait().unwrap();
    answered
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs benchmarks as
    // tests, without it, and this one takes too long to be a test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let synthetic: PathBuf = work.path().join("courses");
    timed("writing 1,000 synthetic modules", || generate(&synthetic));

    let first = tempfile::tempdir().unwrap();
    let pool = fresh_database(first.path());
    let mut conn = pool.get().unwrap();
    let started = Instant::now();
    let (catalogue, report) = import_folder("1,000 modules, fresh database", &mut conn, &synthetic);
    let total = started.elapsed();
    let modules: usize = catalogue.courses.iter().map(|c| c.modules.len()).sum();
    assert_eq!(modules, COURSES * MODULES);
    assert_eq!(report.imported.len(), COURSES, "{report:?}");
    eprintln!("1,000 modules, fresh database: {total:.2?} in all (goal: 10 s or less)");

    let started = Instant::now();
    let (_, again) = import_folder("1,000 modules, unchanged", &mut conn, &synthetic);
    assert_eq!(again.unchanged.len(), COURSES, "{again:?}");
    eprintln!("1,000 modules, unchanged: {:.2?} in all", started.elapsed());
    drop(conn);

    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
    let second = tempfile::tempdir().unwrap();
    let pool = fresh_database(second.path());
    let started = Instant::now();
    import_folder("shipped courses, fresh database", &mut pool.get().unwrap(), &shipped);
    eprintln!("shipped courses, fresh database: {:.2?} in all", started.elapsed());

    let times: Vec<Duration> = (0..3).map(|_| start_up()).collect();
    eprintln!(
        "bilim serve with the shipped courses, fresh data folder, until /healthz answers: {} (goal: 1 s or less)",
        times.iter().map(|t| format!("{t:.2?}")).collect::<Vec<_>>().join(", ")
    );
}

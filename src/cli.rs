//! The `bilim` command line.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::accounts::model::{Country, Role};
use crate::accounts::password;
use crate::accounts::service::{self, AdminCreatedUser};
use crate::config::Config;
use crate::courses;
use crate::courses::load::{Catalogue, Severity};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::server;

#[derive(Debug, Parser)]
#[command(
    name = "bilim",
    version,
    about = "Bilim: cybercrime training for law enforcement, in seven languages"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (the default). Configuration comes from BILIM_* variables and DATABASE_URL.
    Serve {
        /// Add demo institutions and one account per role and country, and print their passwords.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check and load courses written in Markdown.
    Courses {
        #[command(subcommand)]
        command: CoursesCommand,
    },
    /// Work with quiz question files.
    Quiz {
        #[command(subcommand)]
        command: QuizCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE, while the server runs.
    Backup {
        /// The new file to write; it must not exist.
        file: PathBuf,
    },
    /// Replace the SQLite database with the backup FILE (stop the server first); the
    /// database replaced is kept beside it.
    Restore {
        /// A file written by `bilim backup`.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum QuizCommand {
    /// Convert a Moodle XML question export to GIFT on standard output; question types
    /// GIFT cannot hold are listed on standard error.
    Convert {
        /// The Moodle XML file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum CoursesCommand {
    /// Check a courses folder; print `path:line: error|warning: message` per problem and exit 1 on any error.
    Check {
        /// The courses folder.
        #[arg(default_value = "courses")]
        dir: PathBuf,
    },
    /// Load a courses folder into the database (unchanged courses are left as they are).
    Import {
        /// The courses folder.
        #[arg(default_value = "courses")]
        dir: PathBuf,
    },
    /// Write the approved state of the database (sections, law tables, glossaries) as a
    /// courses folder in DIR; the rest of each course is copied from --from.
    Export {
        /// The folder to write (created if needed).
        dir: PathBuf,
        /// Export only this course.
        #[arg(long)]
        course: Option<String>,
        /// The courses folder the server reads, for what is not edited in the browser.
        #[arg(long, default_value = "courses")]
        from: PathBuf,
    },
    /// Print the fingerprint of every `##` section of a module file, for `[based_on]`.
    Hash {
        /// A module file, e.g. courses/cybercrime-foundations/05-legal-framework/ru.md.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Country code: KZ, KG, TJ, TM, UZ or OTHER.
        #[arg(long)]
        country: Option<String>,
        /// The institution's id (required for coordinators).
        #[arg(long)]
        institution: Option<i64>,
        /// Interface language: ru kk ky tg tk uz en.
        #[arg(long, default_value = "ru")]
        locale: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Languages a trainer translates in the browser, e.g. `kk,ru`.
        #[arg(long)]
        languages: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Learner,
    Trainer,
    Coordinator,
    Admin,
    /// Reads aggregate programme reports only.
    Observer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Learner => Role::Learner,
            RoleArg::Trainer => Role::Trainer,
            RoleArg::Coordinator => Role::Coordinator,
            RoleArg::Admin => Role::Admin,
            RoleArg::Observer => Role::Observer,
        }
    }
}

pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BILIM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let config = Config::from_env()?;
            actix_web::rt::System::new().block_on(server::serve(config, demo))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = Config::from_env()?;
            server::open_database(&config)?;
            println!("The database is up to date.");
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => run_user(command),
        Command::Courses { command } => run_courses(command),
        Command::Quiz {
            command: QuizCommand::Convert { file },
        } => convert_quiz(&file),
        Command::Backup { file } => {
            let config = Config::from_env()?;
            let summary = crate::db::backup::backup(&config, &file)?;
            println!("Backed up to {}: {summary}.", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let config = Config::from_env()?;
            let summary = crate::db::backup::restore(&config, &file)?;
            server::open_database(&config)?;
            println!(
                "Restored from {}: {summary}. The database is up to date.",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_diagnostics(catalogue: &Catalogue) -> (usize, usize) {
    let mut counts = (0, 0);
    for diagnostic in catalogue.diagnostics.all() {
        println!("{diagnostic}");
        match diagnostic.severity {
            Severity::Error => counts.0 += 1,
            Severity::Warning => counts.1 += 1,
        }
    }
    counts
}

fn run_courses(command: CoursesCommand) -> anyhow::Result<ExitCode> {
    match command {
        CoursesCommand::Check { dir } => {
            let catalogue = courses::load::load(&dir);
            let (errors, warnings) = print_diagnostics(&catalogue);
            let modules: usize = catalogue.courses.iter().map(|c| c.modules.len()).sum();
            eprintln!(
                "{} courses, {modules} modules checked: {errors} errors, {warnings} warnings",
                catalogue.courses.len()
            );
            Ok(if errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        CoursesCommand::Import { dir } => {
            let catalogue = courses::load::load(&dir);
            let (errors, _) = print_diagnostics(&catalogue);
            if errors > 0 {
                eprintln!("nothing imported: fix the {errors} errors above first");
                return Ok(ExitCode::FAILURE);
            }
            let config = Config::from_env()?;
            let pool = server::open_database(&config)?;
            let mut conn = pool.get()?;
            let report = import_with_progress_bar(&mut conn, &catalogue).map_err(|e| anyhow::anyhow!("{e}"))?;
            print_import_report(&report);
            Ok(ExitCode::SUCCESS)
        }
        CoursesCommand::Export { dir, course, from } => {
            let config = Config::from_env()?;
            let pool = server::open_database(&config)?;
            let mut conn = pool.get()?;
            let report = crate::authoring::export::export(&mut conn, &from, &dir, course.as_deref())?;
            for path in &report.rewritten {
                println!("written from the database: {}", path.display());
            }
            for path in &report.removed {
                println!("removed (every section dropped): {}", path.display());
            }
            println!(
                "Exported {} courses to {}: {} module texts written from the database, law tables {}, glossaries {}.",
                report.courses.len(),
                dir.display(),
                report.rewritten.len(),
                if report.law_tables.is_empty() {
                    "as in the files".to_owned()
                } else {
                    report.law_tables.join(" ")
                },
                if report.glossaries.is_empty() {
                    "as in the files".to_owned()
                } else {
                    report.glossaries.join(" ")
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        CoursesCommand::Hash { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let document = courses::sections::split(&text, 1);
            for section in &document.sections {
                println!(
                    "{} = \"{}\"    # line {}",
                    section.id, section.fingerprint, section.line
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn convert_quiz(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let xml = std::fs::read_to_string(file).with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
    let conversion = crate::quizzes::moodle::convert(&xml)?;
    print!("{}", conversion.gift);
    for skipped in &conversion.unsupported {
        eprintln!("not converted (GIFT has no such question type): {skipped}");
    }
    eprintln!(
        "{} questions converted, {} not converted",
        conversion.converted,
        conversion.unsupported.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Imports a checked catalogue with a progress bar on standard error. indicatif draws
/// nothing when standard error is not a terminal, so logs, pipes and tests get the
/// report alone.
pub fn import_with_progress_bar(
    conn: &mut crate::db::DbConnection,
    catalogue: &Catalogue,
) -> Result<courses::import::ImportReport, AppError> {
    let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{msg:32!} [{bar:40}] {pos}/{len} modules, {eta} left")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    let result = courses::import::import_with_progress(conn, catalogue, &mut |progress| {
        bar.set_length(u64::try_from(progress.total).unwrap_or(u64::MAX));
        bar.set_position(u64::try_from(progress.done).unwrap_or(u64::MAX));
        if bar.message() != progress.course {
            bar.set_message(progress.course.to_owned());
        }
    });
    bar.finish_and_clear();
    result
}

pub fn print_import_report(report: &courses::import::ImportReport) {
    for (id, revision) in &report.imported {
        println!("imported {id} (revision {revision})");
    }
    for id in &report.unchanged {
        println!("unchanged {id}");
    }
    for id in &report.skipped {
        println!("skipped {id}: it has errors; the last imported revision stays in use");
    }
    for id in &report.deactivated {
        println!("hidden {id}: no longer in the courses folder (progress is kept)");
    }
    if report.law_updated {
        println!("national law references updated");
    }
}

/// Says what is wrong with `user create`'s options in the words the pages use, each
/// after the option that gave the value.
fn explain_user_error(error: AppError) -> anyhow::Error {
    let AppError::Invalid(errors) = error else {
        return error.into();
    };
    let lines: Vec<String> = errors
        .localise(Locale::En)
        .into_iter()
        .map(|e| {
            let option = match e.field.as_ref() {
                "institution_id" => "--institution",
                "password" => "the password",
                "email" => "--email",
                "name" => "--name",
                other => other,
            };
            format!("{option}: {}", e.message)
        })
        .collect();
    anyhow::anyhow!(lines.join("\n"))
}

fn run_user(command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Create {
        email,
        name,
        role,
        country,
        institution,
        locale,
        password_stdin,
        languages,
    } = command;
    let languages = crate::accounts::store::parse_languages(languages.as_deref().unwrap_or_default())
        .map_err(|code| anyhow::anyhow!("unknown language {code:?} in --languages: use en ru kk ky tg tk uz"))?;
    let country = country
        .map(|c| Country::parse(&c).with_context(|| format!("unknown country {c:?}: use KZ, KG, TJ, TM, UZ or OTHER")))
        .transpose()?;
    let locale = Locale::from_code(&locale).with_context(|| format!("unknown language {locale:?}"))?;
    let (password, generated) = if password_stdin {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .context("cannot read the password from standard input")?;
        (input.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (password::generate(), true)
    };
    let config = Config::from_env()?;
    let pool = server::open_database(&config)?;
    let mut conn = pool.get()?;
    let new = AdminCreatedUser {
        email,
        name,
        role: role.into(),
        country,
        institution_id: institution.map(crate::institutions::InstitutionId),
        locale,
    };
    let id = service::create_user(&mut conn, &new, &password).map_err(explain_user_error)?;
    if !languages.is_empty() {
        crate::accounts::store::set_languages(&mut conn, id, &languages).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    println!(
        "Created user {id} ({}) with role {}.",
        new.email.trim().to_lowercase(),
        new.role.code()
    );
    if generated {
        println!("Password (shown once): {password}");
    }
    Ok(ExitCode::SUCCESS)
}

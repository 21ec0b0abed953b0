//! Demo data for trying Bilim out (`bilim serve --demo`): one training institution
//! per country and one account per role and country, with fresh passwords printed on
//! each run. Nothing is seeded without the flag.

use crate::accounts::model::{Country, Role};
use crate::accounts::service::{self, AdminCreatedUser};
use crate::accounts::{password, store};
use crate::db::DbConnection;
use crate::i18n::Locale;
use crate::institutions::{self, InstitutionId, NewInstitution};

const DEMO_INSTITUTIONS: &[(Country, &str, Locale)] = &[
    (
        Country::Kz,
        "Демо: Академия правоохранительных органов (Казахстан)",
        Locale::Kk,
    ),
    (Country::Kg, "Демо: Академия МВД (Кыргызстан)", Locale::Ky),
    (Country::Tj, "Демо: Академия МВД (Таджикистан)", Locale::Tg),
    (
        Country::Tm,
        "Demo: Içeri işler ministrliginiň institutynyň okuw merkezi",
        Locale::Tk,
    ),
    (
        Country::Uz,
        "Demo: Huquqni muhofaza qilish akademiyasi (Oʻzbekiston)",
        Locale::Uz,
    ),
];

pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    pub password: String,
}

pub struct DemoSeed {
    pub accounts: Vec<DemoAccount>,
}

impl DemoSeed {
    pub fn print(&self) {
        println!();
        println!("Demo accounts (passwords are new on every start with --demo):");
        for account in &self.accounts {
            println!(
                "    {:<12} {:<36} {}",
                account.role.code(),
                account.email,
                account.password
            );
        }
        println!();
    }
}

fn demo_institution(conn: &mut DbConnection, country: Country, name: &str) -> anyhow::Result<InstitutionId> {
    if let Some(existing) = institutions::find_by_name(conn, country, name)? {
        return Ok(existing.id);
    }
    let new = NewInstitution {
        name: name.to_owned(),
        country,
    };
    Ok(institutions::create(conn, &new)?)
}

/// Creates the account, or gives an existing demo account a fresh password.
fn demo_account(conn: &mut DbConnection, new: &AdminCreatedUser) -> anyhow::Result<DemoAccount> {
    let password = password::generate();
    match store::find_row_by_email(conn, &new.email)? {
        Some(existing) => {
            store::set_password(conn, existing.id, &password::hash(&password)?)?;
        }
        None => {
            service::create_user(conn, new, &password)?;
        }
    }
    Ok(DemoAccount {
        email: new.email.clone(),
        role: new.role,
        password,
    })
}

pub fn seed(conn: &mut DbConnection) -> anyhow::Result<DemoSeed> {
    let mut accounts = Vec::new();
    for (country, name, locale) in DEMO_INSTITUTIONS {
        let institution_id = demo_institution(conn, *country, name)?;
        for role in [Role::Learner, Role::Trainer, Role::Coordinator] {
            let code = country.code().to_ascii_lowercase();
            let new = AdminCreatedUser {
                email: format!("{}.{code}@demo.bilim.test", role.code()),
                name: format!("Demo {} {}", role.code(), country.code()),
                role,
                country: Some(*country),
                institution_id: Some(institution_id),
                locale: *locale,
            };
            let account = demo_account(conn, &new)?;
            if role == Role::Trainer {
                // A demo trainer translates into their country's language and Russian,
                // so the authoring screens have something to offer them.
                if let Some(user) = store::find_row_by_email(conn, &account.email)? {
                    store::set_languages(conn, user.id, &[*locale, Locale::Ru])?;
                }
            }
            accounts.push(account);
        }
    }
    let admin = AdminCreatedUser {
        email: "admin@demo.bilim.test".into(),
        name: "Demo administrator".into(),
        role: Role::Admin,
        country: None,
        institution_id: None,
        locale: Locale::Ru,
    };
    accounts.push(demo_account(conn, &admin)?);
    Ok(DemoSeed { accounts })
}

//! Staff accounts and desk sessions. Hashing passwords and minting tokens is the desk's business
//! (`crate::desk::auth`); the store keeps the Argon2 PHC string and the SHA-256 of each session
//! token, never a secret itself.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::{Error, Store, Tx, ms, ts};

/// What a staff member may do on the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including rules, templates, users and bulk sends.
    Admin,
    /// Answer and manage conversations and contacts.
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// A staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// Argon2id PHC string.
    pub password: String,
    /// `en` or `ja`; `None`: the browser's `Accept-Language` decides.
    pub lang: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A live session joined with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: Timestamp,
}

const USER_COLS: &str = "name, role, password, lang, created_at, updated_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        password: r.get(2)?,
        lang: r.get(3)?,
        created_at: ts(r.get(4)?)?,
        updated_at: ts(r.get(5)?)?,
    })
}

impl Store {
    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>, Error> {
        self.read(|tx| tx.list_users()).await
    }

    /// The user `name`, if any.
    pub async fn get_user(&self, name: &str) -> Result<Option<User>, Error> {
        let name = name.to_owned();
        self.read(move |tx| tx.get_user(&name)).await
    }

    /// The session whose token hashes to `token_hash`, if it has not expired at `now`.
    pub async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, Error> {
        let h = token_hash.to_owned();
        self.read(move |tx| tx.session(&h, now)).await
    }
}

impl Tx<'_> {
    /// Creates user `name`; `Invalid` when the name is taken.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User, Error> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO users (name, role, password, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![name, role.as_str(), password_hash, ms(now)])?;
        if n == 0 {
            return Err(Error::Invalid(format!("the user {name:?} already exists")));
        }
        self.get_user(name)?
            .ok_or_else(|| Error::NotFound(format!("user {name}")))
    }

    /// The user `name`, if any.
    pub fn get_user(&self, name: &str) -> Result<Option<User>, Error> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE name = ?1"))?
            .query_row([name], user_row)
            .optional()?)
    }

    /// Every user, by name.
    pub fn list_users(&self) -> Result<Vec<User>, Error> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {USER_COLS} FROM users ORDER BY name"))?;
        let users = stmt
            .query_map([], user_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(users)
    }

    /// How many users there are.
    pub fn user_count(&self) -> Result<u64, Error> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM users")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Sets user `name`'s password and ends all their sessions (a changed password locks out
    /// whoever knew the old one).
    pub fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        let n = self
            .conn
            .prepare_cached("UPDATE users SET password = ?2, updated_at = ?3 WHERE name = ?1")?
            .execute(params![name, password_hash, ms(now)])?;
        if n == 0 {
            return Err(Error::NotFound(format!("user {name}")));
        }
        self.conn
            .prepare_cached("DELETE FROM sessions WHERE user = ?1")?
            .execute([name])?;
        Ok(())
    }

    /// Sets user `name`'s language (`None`: the browser's).
    pub fn set_user_lang(
        &self,
        name: &str,
        lang: Option<&str>,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.conn
            .prepare_cached("UPDATE users SET lang = ?2, updated_at = ?3 WHERE name = ?1")?
            .execute(params![name, lang, ms(now)])?;
        Ok(())
    }

    /// Removes user `name` and their sessions; returns whether they existed.
    pub fn remove_user(&self, name: &str) -> Result<bool, Error> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM users WHERE name = ?1")?
            .execute([name])?;
        Ok(n > 0)
    }

    /// Stores a new session for `user`, and drops the expired ones.
    pub fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), Error> {
        self.conn
            .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
            .execute([ms(now)])?;
        self.conn
            .prepare_cached(
                "INSERT INTO sessions (token_hash, user, csrf, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![token_hash, user, csrf, ms(now), ms(expires_at)])?;
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, if it has not expired at `now`.
    pub fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Session>, Error> {
        let cols = USER_COLS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {cols}, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.name = s.user
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2"
            ))?
            .query_row(params![token_hash, ms(now)], |r| {
                Ok(Session {
                    user: user_row(r)?,
                    csrf: r.get(6)?,
                    expires_at: ts(r.get(7)?)?,
                })
            })
            .optional()?)
    }

    /// Ends the session whose token hashes to `token_hash` (logout).
    pub fn end_session(&self, token_hash: &str) -> Result<(), Error> {
        self.conn
            .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
            .execute([token_hash])?;
        Ok(())
    }
}

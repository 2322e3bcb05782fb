//! The desk's search: conversations whose messages, contact name or number contain a text.
//!
//! Message text goes through the `message_search` FTS5 table (migration 0007), whose trigram
//! tokenizer matches any substring of 3 or more characters: Japanese has no spaces to split
//! words on, so a word index would find nothing. A trigram index cannot answer a shorter query;
//! those (`返信`, `OK`) fall back to a plain substring scan, slower but still correct.
//!
//! Campaign messages (origin `bulk`) are left out, by the index's insert trigger (migration
//! 0010) and by the fallback alike: one text sent to thousands would match every recipient and
//! crowd out the conversations staff look for, and indexing each copy was most of the cost of
//! queueing a campaign. A campaign's own page says who was sent what.

use rusqlite::params;

use super::conversations::{self, COLS, Conversation, FROM};
use super::{Error, Store, Tx};

/// Most conversations one search returns.
pub const SEARCH_LIMIT: usize = 100;

/// Message hits looked at per search: enough to fill a page of conversations from the newest
/// matches, bounded so that a query matching half the database stays fast.
const MAX_MESSAGE_HITS: i64 = 2000;

impl Store {
    /// Conversations whose messages, contact name or number contain `q`, last activity first.
    pub async fn search_conversations(
        &self,
        q: &str,
        limit: usize,
    ) -> Result<Vec<Conversation>, Error> {
        let q = q.to_owned();
        self.read(move |tx| tx.search_conversations(&q, limit))
            .await
    }
}

/// `q` as one FTS5 string (a phrase): quotes doubled, so no query syntax gets through.
fn fts_phrase(q: &str) -> String {
    format!("\"{}\"", q.replace('"', "\"\""))
}

/// `q` escaped for `LIKE ... ESCAPE '\'`.
fn like_escape(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The digits of `q` when it looks like (part of) a phone number: `090-1234` gives `901234`
/// (a leading trunk `0` dropped, so it matches `+81901234...`), `+81 90` gives `8190`.
fn number_digits(q: &str) -> Option<String> {
    let ok = q
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'));
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if !ok || digits.len() < 2 {
        return None;
    }
    Some(digits.strip_prefix('0').unwrap_or(&digits).to_owned())
}

impl Tx<'_> {
    /// See [`Store::search_conversations`].
    pub fn search_conversations(&self, q: &str, limit: usize) -> Result<Vec<Conversation>, Error> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, SEARCH_LIMIT) as i64;
        let like = format!("%{}%", like_escape(q));
        let digits = number_digits(q).map(|d| format!("%{d}%"));
        // The numbers whose messages match, then the conversations with those numbers or a
        // matching contact name or number.
        let message_numbers = if q.chars().count() >= 3 {
            "hits AS (SELECT rowid FROM message_search WHERE message_search MATCH ?1 \
                      ORDER BY rowid DESC LIMIT ?5), \
             nums AS ( \
               SELECT i.sender AS number FROM hits JOIN inbound_messages i ON i.seq = hits.rowid / 2 \
                WHERE hits.rowid % 2 = 0 \
               UNION SELECT r.number FROM hits \
                 JOIN outbound_messages m ON m.seq = hits.rowid / 2 \
                 JOIN outbound_recipients r ON r.message_id = m.id \
                WHERE hits.rowid % 2 = 1)"
        } else {
            "nums AS ( \
               SELECT sender AS number FROM inbound_messages WHERE text LIKE ?2 ESCAPE '\\' \
               UNION SELECT r.number FROM outbound_messages m \
                 JOIN outbound_recipients r ON r.message_id = m.id \
                WHERE m.body LIKE ?2 ESCAPE '\\' AND m.origin <> 'bulk' AND ?5 > 0)"
        };
        let sql = format!(
            "WITH {message_numbers} \
             SELECT {COLS} FROM {FROM} \
              WHERE c.number IN (SELECT number FROM nums) \
                 OR c.number IN (SELECT number FROM contacts WHERE name LIKE ?2 ESCAPE '\\') \
                 OR (?3 IS NOT NULL AND c.number LIKE ?3) \
              ORDER BY c.updated_at DESC, c.seq DESC LIMIT ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let hits = stmt
            .query_map(
                params![fts_phrase(q), like, digits, limit, MAX_MESSAGE_HITS],
                conversations::row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_digits_table() {
        let cases = [
            ("national mobile", "090-1234", Some("901234")),
            ("international", "+81 90", Some("8190")),
            ("words are not numbers", "返金", None),
            ("one digit is too short", "7", None),
            ("mixed", "order 12", None),
        ];
        for (name, q, want) in cases {
            assert_eq!(number_digits(q).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn phrase_quotes_are_doubled() {
        assert_eq!(fts_phrase(r#"a"b"#), r#""a""b""#);
        assert_eq!(like_escape("50%_\\"), "50\\%\\_\\\\");
    }
}

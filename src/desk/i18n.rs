//! The desk's two languages. A user's choice (stored with the account) wins; otherwise the
//! browser's `Accept-Language` decides between Japanese and English, English by default.
//!
//! Strings live in one table, key first, so a missing translation is a line that is visibly
//! short and a missing key shows as itself rather than panicking.

use axum::http::{HeaderMap, header};

/// A desk language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The first of `en`/`ja` in an `Accept-Language` header, by quality (RFC 9110 §12.5.4).
    pub fn from_accept(headers: &HeaderMap) -> Lang {
        let Some(v) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in v.split(',').take(32) {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    /// The user's choice if any, else the browser's.
    pub fn choose(user: Option<&str>, headers: &HeaderMap) -> Lang {
        user.and_then(Lang::parse)
            .unwrap_or_else(|| Lang::from_accept(headers))
    }
}

/// The translator a template gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The string for `key`, or `key` itself when the table lacks it.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match STRINGS.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, ja)) => match self.0 {
                Lang::En => en,
                Lang::Ja => ja,
            },
            None => key,
        }
    }
}

/// `(key, English, Japanese)`.
const STRINGS: &[(&str, &str, &str)] = &[
    ("inbox", "Inbox", "受信箱"),
    ("contacts", "Contacts", "連絡先"),
    ("templates", "Templates", "テンプレート"),
    ("bulk", "Bulk send", "一斉送信"),
    ("reports", "Reports", "レポート"),
    ("modems", "Modems", "モデム"),
    ("rules", "Rules", "ルール"),
    ("users", "Users", "ユーザー"),
    ("audit", "Audit log", "監査ログ"),
    ("language", "Language", "言語"),
    ("sound", "Sound", "通知音"),
    ("logout", "Log out", "ログアウト"),
    ("login", "Log in", "ログイン"),
    ("username", "User name", "ユーザー名"),
    ("password", "Password", "パスワード"),
    (
        "login_failed",
        "Wrong user name or password.",
        "ユーザー名またはパスワードが違います。",
    ),
    (
        "throttled",
        "Too many failed logins. Try again in a few minutes.",
        "ログインの失敗が多すぎます。数分後にもう一度お試しください。",
    ),
    ("modem_down", "Modem not ready", "モデム停止中"),
    (
        "search_hint",
        "Search messages, names, numbers",
        "メッセージ・名前・番号を検索",
    ),
    ("unread", "Unread", "未読"),
    ("mine", "Mine", "自分の担当"),
    ("unassigned", "Unassigned", "未割り当て"),
    ("all", "All", "すべて"),
    ("any_state", "Any state", "すべての状態"),
    ("open", "Open", "対応中"),
    ("waiting", "Waiting", "返信待ち"),
    ("needs_human", "Needs a person", "要対応"),
    ("closed", "Closed", "完了"),
    (
        "no_conversations",
        "No conversations here.",
        "該当する会話はありません。",
    ),
    ("more", "More", "さらに表示"),
    ("assignee", "Assignee", "担当"),
    ("claim", "Claim", "担当する"),
    ("claim_key", "Press c to claim", "c キーで担当"),
    ("reopen", "Reopen", "再開"),
    ("close", "Close", "完了にする"),
    ("remove", "Remove", "削除"),
    ("add_tag", "Add tag", "タグを追加"),
    ("queued", "Queued", "送信待ち"),
    ("sending", "Sending", "送信中"),
    ("sent", "Sent", "送信済み"),
    ("delivered", "Delivered", "配信済み"),
    ("failed", "Failed", "失敗"),
    ("expired", "Expired", "期限切れ"),
    ("cancelled", "Cancelled", "取消"),
    ("unknown", "Unknown", "不明"),
    ("retry", "Retry", "再送"),
    ("rule_fired", "Rule", "ルール"),
    ("auto_reply", "Automatic reply", "自動返信"),
    (
        "no_messages",
        "No messages yet.",
        "メッセージはまだありません。",
    ),
    (
        "opted_out_block",
        "This number sent STOP: it cannot be texted.",
        "この番号は配信停止済みのため送信できません。",
    ),
    (
        "held",
        "Not sent: the customer wrote again:",
        "未送信：お客様から新しいメッセージがあります：",
    ),
    (
        "held_hint",
        "Read it, then send again to confirm.",
        "内容を確認し、もう一度送信してください。",
    ),
    ("part", "part", "通"),
    ("parts", "parts", "通"),
    ("forced_by", "UCS-2 because of", "UCS-2 になる文字"),
    (
        "composer_hint",
        "Reply… (/ for templates, Ctrl+Enter to send)",
        "返信…（/ でテンプレート、Ctrl+Enter で送信）",
    ),
    ("send", "Send", "送信"),
    ("contact", "Contact", "連絡先"),
    ("groups", "Groups", "グループ"),
    ("edit_contact", "Edit contact", "連絡先を編集"),
    ("consent", "Consent", "配信同意"),
    ("opted_out", "Opted out (STOP)", "配信停止中"),
    ("opted_in", "May be texted", "送信可"),
    ("opt_in_again", "Allow texts again", "配信を再開"),
    ("opt_out", "Opt out", "配信停止にする"),
    ("notes", "Notes", "メモ"),
    ("save", "Save", "保存"),
    ("since", "Customer since", "初回"),
    ("past_conversations", "Conversations", "これまでの会話"),
    ("viewing", "is viewing", "が閲覧中"),
    ("typing", "is typing…", "が入力中…"),
    (
        "forbidden",
        "Only an admin may do this.",
        "この操作は管理者のみ可能です。",
    ),
    ("not_found", "Not found.", "見つかりません。"),
    (
        "csrf",
        "The form was out of date. Reload the page and try again.",
        "フォームの有効期限が切れました。再読み込みしてください。",
    ),
    ("error", "Something went wrong", "エラーが発生しました"),
    ("modem", "Modem", "モデム"),
    ("state", "State", "状態"),
    ("signal", "Signal", "電波"),
    ("operator", "Operator", "事業者"),
    ("counts", "Sent / received / errors", "送信 / 受信 / エラー"),
    ("last_error", "Last error", "最後のエラー"),
    ("unregistered", "not registered", "未登録"),
    // contacts, templates, bulk, reports, rules, users, audit
    ("action", "Action", "操作"),
    ("add_user", "Add user", "ユーザーを追加"),
    ("admin", "Admin", "管理者"),
    ("agent", "Agent", "担当者"),
    ("any_group", "Any group", "すべてのグループ"),
    (
        "audit_hint",
        "The newest 200 entries: desk actions as desk:<user>, API tokens by name.",
        "最新 200 件：デスクの操作は desk:<ユーザー>、API はトークン名で記録されます。",
    ),
    ("body", "Text", "本文"),
    ("change_password", "New password", "パスワード変更"),
    ("confirm_delete", "Delete this?", "削除しますか？"),
    (
        "contact_search",
        "Name or number starts with…",
        "名前・番号の先頭で検索…",
    ),
    ("created", "new", "新規"),
    ("delete", "Delete", "削除"),
    ("edit", "Edit", "編集"),
    ("encoding", "Encoding", "文字コード"),
    ("export_csv", "Export CSV", "CSV エクスポート"),
    (
        "fields_lines",
        "Custom fields (key=value, one per line)",
        "カスタム項目（1 行に key=value）",
    ),
    ("group", "Group", "グループ"),
    (
        "groups_comma",
        "Groups (comma-separated)",
        "グループ（カンマ区切り）",
    ),
    ("import", "Import", "インポート"),
    ("import_csv", "Import CSV", "CSV インポート"),
    (
        "import_hint",
        "Paste CSV: a header row (number, name, groups, other columns are fields), then one contact per line.",
        "CSV を貼り付け：見出し行（number, name, groups、その他の列はカスタム項目）の後に 1 行 1 件。",
    ),
    (
        "import_refused",
        "Nothing was imported:",
        "インポートしませんでした：",
    ),
    ("imported", "Imported", "インポート件数"),
    ("members", "Members", "人数"),
    ("name", "Name", "名前"),
    ("new_contact", "New contact", "新しい連絡先"),
    ("new_password", "New password", "新しいパスワード"),
    ("no_contacts", "No contacts.", "連絡先はありません。"),
    ("no_entries", "No entries.", "記録はありません。"),
    ("no_groups", "No groups.", "グループはありません。"),
    (
        "no_templates",
        "No templates.",
        "テンプレートはありません。",
    ),
    ("number", "Number", "電話番号"),
    (
        "placeholders_hint",
        "Placeholders: {name}, {number}, {hours}, {field.<key>}",
        "差し込み：{name}、{number}、{hours}、{field.<key>}",
    ),
    ("role", "Role", "権限"),
    ("search", "Search", "検索"),
    (
        "skip_invalid",
        "Import the valid lines and skip the bad ones",
        "正しい行だけインポートし、誤りのある行は飛ばす",
    ),
    ("source", "Source", "定義元"),
    ("source_api", "Desk / API", "デスク / API"),
    (
        "source_config",
        "Config file (read-only)",
        "設定ファイル（編集不可）",
    ),
    ("target", "Target", "対象"),
    (
        "template_edit",
        "Add or replace a template",
        "テンプレートを追加・上書き",
    ),
    (
        "templates_read_only",
        "Only an admin may change templates.",
        "テンプレートの変更は管理者のみ可能です。",
    ),
    ("time", "Time", "日時"),
    ("updated", "replaced", "更新"),
    ("updated_at", "Updated", "更新日時"),
    ("who", "Who", "実行者"),
    ("you", "you", "自分"),
    ("rule_spec", "Conditions and actions", "条件と動作"),
    ("no_rules", "No rules.", "ルールはありません。"),
    (
        "rule_test",
        "Which rule would fire?",
        "どのルールが動作するか試す",
    ),
    ("from_number", "From number", "送信元の番号"),
    (
        "first_contact",
        "First message from this number",
        "この番号からの初めてのメッセージ",
    ),
    ("rule_test_run", "Try", "試す"),
    ("rule_fires", "Rule that fires", "動作するルール"),
    ("no_rule_fires", "none", "なし"),
    ("opens_conversation", "Opens a conversation", "会話を開く"),
    (
        "rules_api_edit",
        "Edit the API-managed rules",
        "API 管理のルールを編集",
    ),
    (
        "rules_json_hint",
        "JSON list of rules, as PUT /api/v1/rules takes them; they run after the config file's.",
        "ルールの JSON 配列（PUT /api/v1/rules と同じ形式）。設定ファイルのルールの後に評価されます。",
    ),
    (
        "messages_per_day",
        "Messages per day",
        "1 日あたりのメッセージ",
    ),
    ("inbound", "Received", "受信"),
    ("outbound", "Sent", "送信"),
    ("delivery_rate", "Delivery rate per day", "1 日ごとの配信率"),
    (
        "first_response",
        "First response time (minutes)",
        "初回応答時間（分）",
    ),
    ("min", " min", "分"),
    (
        "prompts",
        "Surveys and reminders",
        "アンケート・リマインダー",
    ),
    ("prompt", "Prompt", "種類"),
    ("answered", "Answered", "回答"),
    ("response_rate", "Response rate", "回答率"),
    ("score", "Score", "評価"),
    ("choices", "Choices", "選択"),
    (
        "median_answer",
        "Median time to answer",
        "回答までの時間（中央値）",
    ),
    (
        "by_staff",
        "Surveys on closing, by staff member",
        "完了時アンケート（担当者別）",
    ),
    (
        "no_prompts",
        "No prompts in these days.",
        "この期間のアンケートはありません。",
    ),
    ("preview", "Preview", "プレビュー"),
    ("recipients", "recipients", "件の宛先"),
    ("parts_total", "SMS parts in all", "通（合計）"),
    ("skipped", "Skipped", "送信しない宛先"),
    ("sending_window", "Sending", "送信予定"),
    (
        "campaign_name",
        "Campaign name (optional)",
        "キャンペーン名（任意）",
    ),
    (
        "numbers_list",
        "Numbers (one per line)",
        "電話番号（1 行に 1 件）",
    ),
    ("or_template", "Or a template", "またはテンプレート"),
    ("schedule", "Send at (optional)", "送信日時（任意）"),
    (
        "rate_per_minute",
        "Messages per minute (optional)",
        "1 分あたりの送信数（任意）",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_table() {
        let cases = [
            ("none", None, Lang::En),
            ("japanese", Some("ja"), Lang::Ja),
            ("region tag", Some("ja-JP,ja;q=0.9,en;q=0.8"), Lang::Ja),
            ("english first", Some("en-US,en;q=0.9,ja;q=0.5"), Lang::En),
            ("by quality", Some("en;q=0.3, ja;q=0.7"), Lang::Ja),
            ("neither", Some("fr-FR,de"), Lang::En),
            ("garbage", Some(";;;q=x,"), Lang::En),
        ];
        for (name, v, want) in cases {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert(header::ACCEPT_LANGUAGE, v.parse().unwrap());
            }
            assert_eq!(Lang::from_accept(&h), want, "{name}");
        }
    }

    #[test]
    fn every_key_is_unique_and_translated() {
        for (i, (k, en, ja)) in STRINGS.iter().enumerate() {
            assert!(!en.is_empty() && !ja.is_empty(), "{k}");
            assert!(
                STRINGS.iter().skip(i + 1).all(|(k2, _, _)| k2 != k),
                "{k} twice"
            );
        }
        assert_eq!(Tr(Lang::Ja).t("inbox"), "受信箱");
        assert_eq!(Tr(Lang::En).t("no such key"), "no such key");
    }
}

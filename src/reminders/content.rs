//! What a digest says, and how it reads: kept as data when the digest is made (as things
//! stood that day), and written out as a subject, a plain-text part and an HTML part when it
//! is sent, with a link into the organisation's own front end for each thing it names.

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::plan::Reason;
use crate::ids::{ActionId, AssessmentId, OrgId};

/// One person's digest of one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    pub day: NaiveDate,
    pub organisation: String,
    /// The organisation's slug: what `{org}` in `APP_BASE_URL` becomes.
    pub org_slug: String,
    pub recipient: Option<String>,
    /// The person's own actions.
    pub own: Vec<ActionLine>,
    /// For managers, weekly: every overdue action of the organisation.
    pub overdue: Vec<ActionLine>,
    /// For managers, weekly: assessments still in draft.
    pub assessments: Vec<AssessmentLine>,
    /// For a panel's managers, weekly: members whose actions newly went overdue.
    pub members: Vec<MemberLine>,
}

/// An action named in a digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionLine {
    pub id: Uuid,
    pub title: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub reason: Reason,
    /// Days to the date, past it, or since the last update (per the reason).
    pub days: i64,
}

/// An assessment awaiting submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentLine {
    pub id: Uuid,
    pub framework: String,
    pub cycle: String,
    /// The cycle's deadline: the last day of its year (31 March 2025 for `2024-25`).
    pub deadline: NaiveDate,
}

impl AssessmentLine {
    /// What the line says of its deadline, seen from `day`.
    fn describe(&self, day: NaiveDate) -> String {
        let left = (self.deadline - day).num_days();
        let when = long_date(self.deadline);
        match left {
            0 => format!("submit by today, {when}"),
            1 => format!("submit by tomorrow, {when}"),
            n => format!("submit by {when}, in {n} days"),
        }
    }
}

/// A panel member's counts (a summary: no action of theirs is named).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberLine {
    pub id: Uuid,
    pub name: String,
    /// Actions that went overdue in the week to the digest's day.
    pub newly_overdue: i64,
    /// All its overdue actions on the day.
    pub overdue: i64,
}

impl Digest {
    /// Whether there is anything to say.
    pub fn is_empty(&self) -> bool {
        self.own.is_empty()
            && self.overdue.is_empty()
            && self.assessments.is_empty()
            && self.members.is_empty()
    }

    /// The ids of the actions it names.
    pub fn action_ids(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.own.iter().chain(&self.overdue).map(|a| a.id).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// A one-line summary: the notice's title and the mail's subject.
    pub fn title(&self) -> String {
        let count = |r: Reason| self.own.iter().filter(|a| a.reason == r).count();
        let mut parts = Vec::new();
        for (reason, one, many) in [
            (Reason::Overdue, "action overdue", "actions overdue"),
            (Reason::DueToday, "action due today", "actions due today"),
            (Reason::DueSoon, "action due soon", "actions due soon"),
            (
                Reason::NoRecentUpdate,
                "action needing an update",
                "actions needing an update",
            ),
        ] {
            match count(reason) {
                0 => {}
                1 => parts.push(format!("1 {one}")),
                n => parts.push(format!("{n} {many}")),
            }
        }
        if !self.overdue.is_empty() || !self.assessments.is_empty() || !self.members.is_empty() {
            parts.push("the weekly summary".to_owned());
        }
        format!("{}: {}", self.organisation, join_and(&parts))
    }

    /// The plain-text body (also the notice's body, without the links).
    pub fn text(&self, links: &Links) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}\n\nReminders for {} on {}.\n",
            self.greeting(),
            self.organisation,
            long_date(self.day)
        );
        for (reason, heading) in SECTIONS {
            let lines: Vec<&ActionLine> = self.own.iter().filter(|a| a.reason == reason).collect();
            if lines.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{heading}");
            for a in lines {
                let _ = writeln!(out, "- {} ({})", a.title, describe(a));
                if let Some(link) = links.action(&self.org_slug, a.id) {
                    let _ = writeln!(out, "  {link}");
                }
            }
            out.push('\n');
        }
        if !self.overdue.is_empty() {
            let _ = writeln!(
                out,
                "Overdue across the organisation ({})",
                self.overdue.len()
            );
            for a in self.overdue.iter().take(MAX_LISTED) {
                let _ = writeln!(out, "- {} (owner: {}; {})", a.title, a.owner, describe(a));
                if let Some(link) = links.action(&self.org_slug, a.id) {
                    let _ = writeln!(out, "  {link}");
                }
            }
            if let Some(more) = self.more_overdue() {
                let _ = writeln!(out, "- and {more} more");
                if let Some(link) = links.overdue(&self.org_slug) {
                    let _ = writeln!(out, "  {link}");
                }
            }
            out.push('\n');
        }
        if !self.assessments.is_empty() {
            let _ = writeln!(out, "Assessments awaiting submission");
            for s in &self.assessments {
                let _ = writeln!(
                    out,
                    "- {} ({}): {}",
                    s.framework,
                    s.cycle,
                    s.describe(self.day)
                );
                if let Some(link) = links.assessment(&self.org_slug, s.id) {
                    let _ = writeln!(out, "  {link}");
                }
            }
            out.push('\n');
        }
        if !self.members.is_empty() {
            let _ = writeln!(out, "Members' actions newly overdue this week");
            for m in &self.members {
                let _ = writeln!(
                    out,
                    "- {}: {} newly overdue, {} overdue in all",
                    m.name, m.newly_overdue, m.overdue
                );
                if let Some(link) = links.organisation(&self.org_slug, m.id) {
                    let _ = writeln!(out, "  {link}");
                }
            }
            out.push('\n');
        }
        out
    }

    /// The HTML body: the same as the text, for mail readers that show HTML. Inline styles
    /// only, and nothing loaded from elsewhere.
    pub fn html(&self, links: &Links, unsubscribe: Option<&str>) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"></head>\
             <body style=\"margin:0;padding:24px;background:#f3f2f1;font-family:Arial,Helvetica,sans-serif;color:#0b0c0c\">\
             <div style=\"max-width:640px;margin:0 auto;background:#ffffff;padding:24px\">",
        );
        let _ = write!(
            out,
            "<p style=\"margin:0 0 4px;color:#505a5f;font-size:14px\">{}</p>\
             <h1 style=\"margin:0 0 16px;font-size:24px\">Reminders for {}</h1><p>{}</p>",
            escape(&self.organisation),
            escape(&long_date(self.day)),
            escape(&self.greeting())
        );
        let action_row = |out: &mut String, a: &ActionLine, with_owner: bool| {
            let title = match links.action(&self.org_slug, a.id) {
                Some(link) => format!(
                    "<a href=\"{}\" style=\"color:#1d70b8\">{}</a>",
                    escape(&link),
                    escape(&a.title)
                ),
                None => escape(&a.title),
            };
            let owner = if with_owner {
                format!("Owner: {}; ", escape(&a.owner))
            } else {
                String::new()
            };
            let colour = match a.reason {
                Reason::Overdue => "#d4351c",
                Reason::DueToday | Reason::DueSoon => "#f47738",
                Reason::NoRecentUpdate => "#505a5f",
            };
            let _ = write!(
                out,
                "<li style=\"margin:0 0 12px;padding-left:8px;border-left:4px solid {colour}\">{title}<br>\
                 <span style=\"color:#505a5f;font-size:14px\">{owner}{}</span></li>",
                escape(&describe(a))
            );
        };
        let list_start = "<ul style=\"list-style:none;padding:0;margin:0 0 16px\">";
        for (reason, heading) in SECTIONS {
            let lines: Vec<&ActionLine> = self.own.iter().filter(|a| a.reason == reason).collect();
            if lines.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "<h2 style=\"font-size:19px;margin:16px 0 8px\">{}</h2>{list_start}",
                escape(heading)
            );
            for a in lines {
                action_row(&mut out, a, false);
            }
            out.push_str("</ul>");
        }
        if !self.overdue.is_empty() {
            let _ = write!(
                out,
                "<h2 style=\"font-size:19px;margin:16px 0 8px\">Overdue across the organisation ({})</h2>{list_start}",
                self.overdue.len()
            );
            for a in self.overdue.iter().take(MAX_LISTED) {
                action_row(&mut out, a, true);
            }
            if let Some(more) = self.more_overdue() {
                let more = match links.overdue(&self.org_slug) {
                    Some(link) => format!(
                        "<a href=\"{}\" style=\"color:#1d70b8\">and {more} more</a>",
                        escape(&link)
                    ),
                    None => format!("and {more} more"),
                };
                let _ = write!(
                    out,
                    "<li style=\"margin:0 0 12px;padding-left:12px\">{more}</li>"
                );
            }
            out.push_str("</ul>");
        }
        if !self.assessments.is_empty() {
            let _ = write!(
                out,
                "<h2 style=\"font-size:19px;margin:16px 0 8px\">Assessments awaiting submission</h2>{list_start}"
            );
            for s in &self.assessments {
                let name = format!("{} ({})", s.framework, s.cycle);
                let item = match links.assessment(&self.org_slug, s.id) {
                    Some(link) => format!(
                        "<a href=\"{}\" style=\"color:#1d70b8\">{}</a>",
                        escape(&link),
                        escape(&name)
                    ),
                    None => escape(&name),
                };
                let _ = write!(
                    out,
                    "<li style=\"margin:0 0 12px;padding-left:8px;border-left:4px solid #1d70b8\">{item}<br>\
                     <span style=\"color:#505a5f;font-size:14px\">{}</span></li>",
                    escape(&s.describe(self.day))
                );
            }
            out.push_str("</ul>");
        }
        if !self.members.is_empty() {
            out.push_str(
                "<h2 style=\"font-size:19px;margin:16px 0 8px\">Members' actions newly overdue this week</h2>\
                 <table style=\"border-collapse:collapse;width:100%;font-size:16px\">\
                 <tr><th style=\"text-align:left;border-bottom:2px solid #b1b4b6;padding:4px\">Member</th>\
                 <th style=\"text-align:right;border-bottom:2px solid #b1b4b6;padding:4px\">Newly overdue</th>\
                 <th style=\"text-align:right;border-bottom:2px solid #b1b4b6;padding:4px\">Overdue in all</th></tr>",
            );
            for m in &self.members {
                let name = match links.organisation(&self.org_slug, m.id) {
                    Some(link) => format!(
                        "<a href=\"{}\" style=\"color:#1d70b8\">{}</a>",
                        escape(&link),
                        escape(&m.name)
                    ),
                    None => escape(&m.name),
                };
                let _ = write!(
                    out,
                    "<tr><td style=\"border-bottom:1px solid #b1b4b6;padding:4px\">{name}</td>\
                     <td style=\"text-align:right;border-bottom:1px solid #b1b4b6;padding:4px\">{}</td>\
                     <td style=\"text-align:right;border-bottom:1px solid #b1b4b6;padding:4px\">{}</td></tr>",
                    m.newly_overdue, m.overdue
                );
            }
            out.push_str("</table>");
        }
        out.push_str(
            "<p style=\"margin-top:24px;color:#505a5f;font-size:14px\">You receive this because reminders are on for you in ",
        );
        out.push_str(&escape(&self.organisation));
        out.push('.');
        if let Some(link) = unsubscribe {
            let _ = write!(
                out,
                " <a href=\"{}\" style=\"color:#1d70b8\">Stop these emails</a>.",
                escape(link)
            );
        }
        out.push_str("</p></div></body></html>\n");
        out
    }

    /// How many overdue actions the weekly list leaves out, if any.
    fn more_overdue(&self) -> Option<usize> {
        let more = self.overdue.len().saturating_sub(MAX_LISTED);
        (more > 0).then_some(more)
    }

    fn greeting(&self) -> String {
        match &self.recipient {
            Some(name) => format!("Dear {name},"),
            None => "Hello,".to_owned(),
        }
    }
}

/// What a run made (or would make), for the command line: who is told what, one line each.
pub fn report(day: NaiveDate, dry_run: bool, planned: &[super::run::Planned]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Reminders for {day}{}",
        if dry_run {
            " (dry run: nothing is recorded or sent)"
        } else {
            ""
        }
    );
    for p in planned {
        let d = &p.digest;
        let who = d.recipient.as_deref().unwrap_or("(no name)");
        let address = p
            .email
            .as_deref()
            .map_or("no email address".to_owned(), |e| format!("<{e}>"));
        let _ = writeln!(out, "\n{} | {who} {address} | {}", d.org_slug, p.user_id);
        for a in &d.own {
            let _ = writeln!(
                out,
                "  {:<16} {} | {} ({})",
                a.reason.code(),
                ActionId(a.id),
                a.title,
                describe(a)
            );
        }
        for a in &d.overdue {
            let _ = writeln!(
                out,
                "  {:<16} {} | {} (owner: {}; {})",
                "WEEKLY_OVERDUE",
                ActionId(a.id),
                a.title,
                a.owner,
                describe(a)
            );
        }
        for s in &d.assessments {
            let _ = writeln!(
                out,
                "  {:<16} {} | {} ({}): {}",
                "WEEKLY_DRAFT",
                AssessmentId(s.id),
                s.framework,
                s.cycle,
                s.describe(d.day)
            );
        }
        for m in &d.members {
            let _ = writeln!(
                out,
                "  {:<16} {} | {}: {} newly overdue, {} overdue in all",
                "PANEL_MEMBER",
                OrgId(m.id),
                m.name,
                m.newly_overdue,
                m.overdue
            );
        }
    }
    let orgs: std::collections::BTreeSet<&str> =
        planned.iter().map(|p| p.digest.org_slug.as_str()).collect();
    let _ = writeln!(
        out,
        "\n{} digest{} for {} organisation{}.",
        planned.len(),
        if planned.len() == 1 { "" } else { "s" },
        orgs.len(),
        if orgs.len() == 1 { "" } else { "s" }
    );
    out
}

/// The most overdue actions a weekly digest lists one by one (the longest overdue first); the
/// rest are counted, with a link to the organisation's list of them. A message of a thousand
/// lines is read by nobody.
const MAX_LISTED: usize = 100;

/// The owner's sections, in the order they are read.
const SECTIONS: [(Reason, &str); 4] = [
    (Reason::Overdue, "Overdue"),
    (Reason::DueToday, "Due today"),
    (Reason::DueSoon, "Due soon"),
    (Reason::NoRecentUpdate, "No recent progress update"),
];

/// What a line says of its action's dates.
fn describe(a: &ActionLine) -> String {
    let days = |n: i64| {
        if n == 1 {
            "1 day".to_owned()
        } else {
            format!("{n} days")
        }
    };
    let due = long_date(a.due_on);
    match a.reason {
        Reason::Overdue => format!("was due {due}, {} ago", days(a.days)),
        Reason::DueToday => format!("due today, {due}"),
        Reason::DueSoon if a.days == 1 => format!("due tomorrow, {due}"),
        Reason::DueSoon => format!("due {due}, in {}", days(a.days)),
        Reason::NoRecentUpdate => format!("no progress update for {}; due {due}", days(a.days)),
    }
}

/// `1 March 2021`.
fn long_date(day: NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Text made safe for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where a digest's links go: the organisation's own front end, `APP_BASE_URL`, in which
/// `{org}` stands for the organisation's slug (`https://{org}.resilience.example`).
#[derive(Clone, Debug, Default)]
pub struct Links {
    pub app_base_url: Option<String>,
}

impl Links {
    fn base(&self, slug: &str) -> Option<String> {
        self.app_base_url
            .as_ref()
            .map(|b| b.replace("{org}", slug).trim_end_matches('/').to_owned())
    }

    /// `…/actions/act_…`.
    pub fn action(&self, slug: &str, id: Uuid) -> Option<String> {
        Some(format!("{}/actions/{}", self.base(slug)?, ActionId(id)))
    }

    /// `…/actions?overdue=true`: the organisation's overdue actions.
    pub fn overdue(&self, slug: &str) -> Option<String> {
        Some(format!("{}/actions?overdue=true", self.base(slug)?))
    }

    /// `…/assessments/asm_…`.
    pub fn assessment(&self, slug: &str, id: Uuid) -> Option<String> {
        Some(format!(
            "{}/assessments/{}",
            self.base(slug)?,
            AssessmentId(id)
        ))
    }

    /// `…/organisations/org_…`.
    pub fn organisation(&self, slug: &str, id: Uuid) -> Option<String> {
        Some(format!("{}/organisations/{}", self.base(slug)?, OrgId(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        Digest {
            day: NaiveDate::from_ymd_opt(2021, 2, 21).unwrap(),
            organisation: "Essex County Fire and Rescue Service".into(),
            org_slug: "essex-fire".into(),
            recipient: Some("Head of <Protection>".into()),
            own: vec![ActionLine {
                id: Uuid::nil(),
                title: "Establish an out-of-hours system & rota".into(),
                owner: "Head of Protection".into(),
                due_on: NaiveDate::from_ymd_opt(2021, 2, 28).unwrap(),
                reason: Reason::DueSoon,
                days: 7,
            }],
            overdue: vec![],
            assessments: vec![],
            members: vec![],
        }
    }

    #[test]
    fn a_digest_reads_in_text_and_html_with_links_into_the_front_end() {
        let links = Links {
            app_base_url: Some("https://{org}.resilience.example/".into()),
        };
        let d = digest();
        assert_eq!(
            d.title(),
            "Essex County Fire and Rescue Service: 1 action due soon"
        );
        let text = d.text(&links);
        assert!(text.contains("Due soon\n- Establish an out-of-hours system & rota (due 28 February 2021, in 7 days)"), "{text}");
        assert!(
            text.contains("  https://essex-fire.resilience.example/actions/act_"),
            "{text}"
        );
        let html = d.html(
            &links,
            Some("https://api.example/reminders/unsubscribe?token=x&y"),
        );
        assert!(html.contains("Head of &lt;Protection&gt;"), "{html}");
        assert!(html.contains("out-of-hours system &amp; rota"), "{html}");
        assert!(html.contains("href=\"https://api.example/reminders/unsubscribe?token=x&amp;y\""));
        assert!(!html.contains("<script"));
        // A weekly list of many overdue actions names the first hundred and counts the rest.
        let mut weekly = d.clone();
        weekly.overdue = (0..150)
            .map(|i| ActionLine {
                title: format!("Overdue action {i}"),
                reason: Reason::Overdue,
                ..d.own[0].clone()
            })
            .collect();
        let text = weekly.text(&links);
        assert!(
            text.contains("Overdue across the organisation (150)"),
            "{text}"
        );
        assert!(text.contains("Overdue action 99 ") && !text.contains("Overdue action 100 "));
        assert!(
            text.contains(
                "- and 50 more\n  https://essex-fire.resilience.example/actions?overdue=true"
            ),
            "{text}"
        );
        assert!(weekly.html(&links, None).contains(">and 50 more</a>"));
        // Without a front end, no links at all.
        assert!(!d.text(&Links::default()).contains("http"));
    }
}

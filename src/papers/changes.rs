//! The "changes since the last committee" part of the action plan and progress papers: what
//! was completed, what became overdue, which delivery dates changed and which updates were
//! added, between a day (or a committee meeting) and the paper's day. Read from the `changes`
//! field of the review or the organisation.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::paper::{Cell, Section, Table, count, long_date};
use super::{Ask, Params, Refusal, read};

/// The selection of `changes` every paper asks, as a literal for `concat!`.
macro_rules! changes_selection {
    () => {
        "from to completedCount newlyOverdueCount dueDateChangeCount updateCount \
         completed { id title owner recommendation { reference } standing { completedOn } } \
         newlyOverdue { id title owner recommendation { reference } standing { dueOn } } \
         dueDateChanges { action { id title } previousDueOn newDueOn reason effectiveOn } \
         updates { action { id title } asAt narrative }"
    };
}

/// What moved in the window.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Changes {
    from: NaiveDate,
    to: NaiveDate,
    completed_count: i64,
    newly_overdue_count: i64,
    due_date_change_count: i64,
    update_count: i64,
    completed: Vec<Moved>,
    newly_overdue: Vec<Moved>,
    due_date_changes: Vec<DateChange>,
    updates: Vec<Update>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Moved {
    id: String,
    title: String,
    owner: String,
    recommendation: Option<Reference>,
    standing: Option<MovedStanding>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reference {
    reference: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MovedStanding {
    completed_on: Option<NaiveDate>,
    due_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DateChange {
    action: Option<ActionRef>,
    previous_due_on: NaiveDate,
    new_due_on: NaiveDate,
    reason: String,
    effective_on: NaiveDate,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionRef {
    id: String,
    title: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    action: Option<ActionRef>,
    as_at: NaiveDate,
    narrative: String,
}

/// How the window was asked: from a day or from a committee meeting.
pub(super) struct Window {
    /// The variables of `changes`: `from` or `sinceCommittee`, with `to` and `knownAt`.
    pub variables: serde_json::Value,
    /// The committee, when the window starts at one: its name.
    pub committee: Option<String>,
}

/// The window `params` asks for, if any; a committee's name is asked of the schema (and a
/// committee the caller may not read is not found).
pub(super) async fn window(params: &Params, ask: &dyn Ask) -> Result<Option<Window>, Refusal> {
    const COMMITTEE: &str = "query PaperCommittee($id: ID!) { committee(id: $id) { name } }";
    let committee = match &params.since_committee {
        Some(id) => {
            let data = ask.ask(COMMITTEE, json!({ "id": id })).await?;
            #[derive(Deserialize)]
            struct Committee {
                name: String,
            }
            let committee: Option<Committee> = read(data["committee"].clone())?;
            Some(
                committee
                    .ok_or_else(|| Refusal::not_found("committee"))?
                    .name,
            )
        }
        None if params.since.is_some() => None,
        None => return Ok(None),
    };
    Ok(Some(Window {
        variables: json!({
            "from": params.since.map(|d| d.to_string()),
            "to": params.as_of.map(|d| d.to_string()),
            "sinceCommittee": params.since_committee,
        }),
        committee,
    }))
}

impl Window {
    /// What moved in the window, asked with `document` of the object at `root` (`review` or
    /// `organisation`); `variables` hold its id and the moment.
    pub(super) async fn changes(
        &self,
        ask: &dyn Ask,
        document: &'static str,
        variables: &serde_json::Value,
        root: &str,
    ) -> Result<Changes, Refusal> {
        let mut v = self.variables.clone();
        v["id"] = variables["id"].clone();
        v["knownAt"] = variables["knownAt"].clone();
        let mut data = ask.ask(document, v).await.map_err(|refusal| {
            // The window's start is the report's parameter, whatever `changes` calls it.
            match (refusal.field.as_deref(), &self.committee) {
                (Some("from"), Some(_)) => Refusal::bad_input(
                    "sinceCommittee",
                    "the committee met on or after `asOf`: choose an earlier one",
                ),
                (Some("from"), None) => Refusal::bad_input("since", refusal.message),
                _ => refusal,
            }
        })?;
        read(data[root]["changes"].take())
    }
}

impl Changes {
    /// For each action named, what happened to it: "completed; update added".
    pub(super) fn by_action(&self) -> HashMap<String, Vec<&'static str>> {
        let mut out: HashMap<String, Vec<&'static str>> = HashMap::new();
        let mut note = |id: &str, what: &'static str| {
            let list = out.entry(id.to_owned()).or_default();
            if !list.contains(&what) {
                list.push(what);
            }
        };
        for a in &self.completed {
            note(&a.id, "completed");
        }
        for a in &self.newly_overdue {
            note(&a.id, "newly overdue");
        }
        for c in &self.due_date_changes {
            if let Some(a) = &c.action {
                note(&a.id, "delivery date changed");
            }
        }
        for u in &self.updates {
            if let Some(a) = &u.action {
                note(&a.id, "update added");
            }
        }
        out
    }

    /// The sentence that opens the part.
    fn sentence(&self, committee: Option<&str>) -> String {
        let start = match committee {
            Some(name) => format!("{name} on {}", long_date(self.from)),
            None => long_date(self.from),
        };
        format!(
            "Since {start}, up to {}: {} completed, {} newly overdue, {} changed, {} added.",
            long_date(self.to),
            count(self.completed_count, "action", "actions"),
            count(self.newly_overdue_count, "action", "actions"),
            count(
                self.due_date_change_count,
                "delivery date",
                "delivery dates"
            ),
            count(self.update_count, "progress update", "progress updates"),
        )
    }

    /// The part's tables, one per kind of change.
    pub(super) fn sections(&self, committee: Option<&str>) -> Vec<Section> {
        let reference =
            |m: &Moved| Cell::text(m.recommendation.as_ref().map(|r| r.reference.clone()));
        let mut completed =
            Table::new(&[("Ref", 6), ("Action", 40), ("Owner", 18), ("Completed", 12)]);
        for a in &self.completed {
            completed.push(vec![
                reference(a),
                Cell::Text(a.title.clone()),
                Cell::Text(a.owner.clone()),
                Cell::date(a.standing.as_ref().and_then(|s| s.completed_on)),
            ]);
        }
        let mut overdue = Table::new(&[("Ref", 6), ("Action", 40), ("Owner", 18), ("Was due", 12)]);
        for a in &self.newly_overdue {
            overdue.push(vec![
                reference(a),
                Cell::Text(a.title.clone()),
                Cell::Text(a.owner.clone()),
                Cell::date(a.standing.as_ref().and_then(|s| s.due_on)),
            ]);
        }
        let mut dates = Table::new(&[
            ("Action", 34),
            ("From", 11),
            ("To", 11),
            ("In force from", 11),
            ("Why", 30),
        ]);
        for c in &self.due_date_changes {
            dates.push(vec![
                Cell::text(c.action.as_ref().map(|a| a.title.clone())),
                Cell::Date(c.previous_due_on),
                Cell::Date(c.new_due_on),
                Cell::Date(c.effective_on),
                Cell::Text(c.reason.clone()),
            ]);
        }
        let mut updates = Table::new(&[("Action", 30), ("Dated", 11), ("Update", 55)]);
        for u in &self.updates {
            updates.push(vec![
                Cell::text(u.action.as_ref().map(|a| a.title.clone())),
                Cell::Date(u.as_at),
                Cell::Text(u.narrative.clone()),
            ]);
        }
        let listed = |shown: usize, total: i64| {
            (total > shown as i64).then(|| format!("The first {shown} of {total}."))
        };
        vec![
            Section {
                title: "Changes since the last committee: completed".to_owned(),
                sheet: "Completed since",
                note: Some(
                    [
                        Some(self.sentence(committee)),
                        listed(self.completed.len(), self.completed_count),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                ),
                table: completed,
            },
            Section {
                title: "Changes since the last committee: newly overdue".to_owned(),
                sheet: "Newly overdue",
                note: listed(self.newly_overdue.len(), self.newly_overdue_count),
                table: overdue,
            },
            Section {
                title: "Changes since the last committee: delivery dates changed".to_owned(),
                sheet: "Dates changed",
                note: listed(self.due_date_changes.len(), self.due_date_change_count),
                table: dates,
            },
            Section {
                title: "Changes since the last committee: progress updates added".to_owned(),
                sheet: "Updates added",
                note: listed(self.updates.len(), self.update_count),
                table: updates,
            },
        ]
    }
}

//! Reminders, end to end: the daily run over real data, mail received by a real SMTP server
//! started here (a small sink speaking the protocol on a loopback port), notices read through
//! the API, the unsubscribe link followed over HTTP, a mail server that refuses for a while,
//! and two instances sharing one database.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use resilience_hub::auth::Role;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{Claims, TestApp, engines, token};
use crate::plan::{self, People};
use crate::world::World;

/// One message the sink took.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// A header's value (unfolded), if present.
    fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with(' ') || line.starts_with('\t') {
                // Unfolding removes the line break and keeps the white space.
                if let Some(v) = value.as_mut() {
                    v.push_str(line);
                }
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }

    /// The whole message with quoted-printable undone (soft line breaks joined, `=XX`
    /// decoded), for looking for text in its parts.
    fn body(&self) -> String {
        let joined = self.data.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The token of its unsubscribe link.
    fn unsubscribe_token(&self) -> String {
        let link = self.header("List-Unsubscribe").expect("List-Unsubscribe");
        let token = link.split("token=").nth(1).expect("a token");
        token.trim_end_matches('>').to_owned()
    }
}

/// An SMTP server on a loopback port: it takes every message, or refuses connections with
/// `421` while told to.
#[derive(Clone)]
pub struct Sink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

impl Sink {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    /// A sink on `addr`.
    pub async fn start_on(addr: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let sink = Sink {
            addr: listener.local_addr().unwrap(),
            mails: Arc::default(),
            refuse: Arc::default(),
            refused: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(socket).await });
            }
        });
        sink
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        if self
            .refuse
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            self.refused.fetch_add(1, Ordering::SeqCst);
            write
                .write_all(b"421 sink.test Service not available, try later\r\n")
                .await?;
            return Ok(());
        }
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250-sink.test\r\n250 8BITMIME\r\n"
            } else if command.starts_with("HELO") || command.starts_with("MAIL FROM") {
                to.clear();
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO") {
                let address = line.trim_end()[8..]
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_owned();
                to.push(address);
                b"250 OK\r\n"
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.mails.lock().unwrap().push(Mail {
                    to: std::mem::take(&mut to),
                    data,
                });
                b"250 OK queued\r\n"
            } else if command == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"250 OK\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Refuses the next `n` connections.
    pub fn refuse(&self, n: usize) {
        self.refuse.store(n, Ordering::SeqCst);
    }

    /// Waits until at least `n` messages have come (or fails after 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        for _ in 0..200 {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} messages, got {:?}", self.mails());
    }
}

/// An instance that mails to `sink`, with links into `https://{org}.hub.example`, quick
/// retries and a quick sweep.
async fn spawn_mailing(engine: crate::helpers::Engine, sink: &Sink) -> TestApp {
    let url = sink.url();
    TestApp::spawn_with(engine, move |c| {
        c.reminders.mail.smtp_url = Some(url);
        c.reminders.mail.from = "Resilience Hub <reminders@hub.example>".into();
        c.reminders.mail.app_base_url = Some("https://{org}.hub.example".into());
        c.reminders.mail.retry = Duration::from_millis(200);
        c.events.webhooks.sweep = Duration::from_millis(300);
        c.events.webhooks.allow_internal = true;
    })
    .await
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Runs the reminders of `on` as the daily job does, on the service's own pool: for real
/// (`dry_run` false) or only working out what it would tell.
async fn run_on(
    app: &TestApp,
    on: &str,
    dry_run: bool,
) -> Vec<resilience_hub::reminders::run::Planned> {
    resilience_hub::reminders::run::remind(
        app.service_database(),
        Default::default(),
        day(on),
        dry_run,
        true,
    )
    .await
    .expect("the run")
}

/// Runs the reminders of `on` for real; answers how many digests it made.
async fn remind(app: &TestApp, on: &str) -> usize {
    run_on(app, on, false).await.len()
}

/// Who received which subject.
fn inbox(mails: &[Mail]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in mails {
        for to in &m.to {
            out.entry(to.clone())
                .or_default()
                .push(m.header("Subject").unwrap_or_default());
        }
    }
    out
}

const HEAD_PP: &str = "head.prevention.protection@essex-fire.example";
const HEAD_P: &str = "head.protection@essex-fire.example";
const MANAGER: &str = "assurance.manager@essex-fire.example";
const ENFORCEMENT: &str =
    "Review the Enforcement Policy to include clearer objectives and rationale";
const OUT_OF_HOURS: &str = "Establish an out-of-hours system for day-duty fire safety officers";

/// A token of one of Essex's demo people.
fn essex(sub: &str, role: Role) -> String {
    Claims {
        sub: sub.to_owned(),
        ..Claims::new("essex-fire", role)
    }
    .sign()
}

const NOTICES: &str = "query($unread: Boolean! = false) { notifications(first: 20, unreadOnly: $unread) { totalCount edges { node { id kind title body subjectId readAt } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_essex_plan_reminds_its_owners_on_the_papers_dates() {
    for engine in engines() {
        let sink = Sink::start().await;
        let app = spawn_mailing(engine, &sink).await;
        app.seed_demo().await;

        // 21 February 2021: a week before two delivery dates.
        assert_eq!(remind(&app, "2021-02-21").await, 2);
        let mails = sink.wait_for(2).await;
        let got = inbox(&mails);
        assert_eq!(
            got.keys().cloned().collect::<Vec<_>>(),
            vec![HEAD_PP.to_owned(), HEAD_P.to_owned()]
        );
        assert_eq!(
            got[HEAD_PP],
            vec!["Essex County Fire and Rescue Service: 1 action due soon".to_owned()]
        );
        let pp = mails.iter().find(|m| m.to == [HEAD_PP]).unwrap();
        let p = mails.iter().find(|m| m.to == [HEAD_P]).unwrap();
        assert!(pp.body().contains(ENFORCEMENT), "{}", pp.body());
        assert!(pp.body().contains("in 7 days"), "{}", pp.body());
        assert!(!pp.body().contains(OUT_OF_HOURS), "only their own actions");
        assert!(p.body().contains(OUT_OF_HOURS), "{}", p.body());
        // Text and HTML, a link to each action in the organisation's own front end, and
        // the one-click unsubscribe of RFC 8058.
        assert!(pp.body().contains("multipart/alternative"), "{}", pp.body());
        assert!(pp.body().contains("text/plain") && pp.body().contains("text/html"));
        assert!(
            pp.data
                .contains("https://essex-fire.hub.example/actions/act_"),
            "{}",
            pp.data
        );
        assert_eq!(
            pp.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(
            pp.header("List-Unsubscribe")
                .unwrap()
                .starts_with(&format!("<{}/reminders/unsubscribe?token=", app.base)),
            "{:?}",
            pp.header("List-Unsubscribe")
        );
        assert!(pp.header("From").unwrap().contains("reminders@hub.example"));

        // The same day again: nothing new.
        assert_eq!(remind(&app, "2021-02-21").await, 0);

        // 27 February: the out-of-hours system was done on the 26th; the policy is due
        // tomorrow.
        assert_eq!(remind(&app, "2021-02-27").await, 1);
        let mails = sink.wait_for(3).await;
        let last = &mails[2];
        assert_eq!(last.to, [HEAD_PP]);
        assert!(last.body().contains("due tomorrow"), "{}", last.body());

        // 28 February: due today, and the actions without an update for 30 days.
        assert_eq!(remind(&app, "2021-02-28").await, 2);
        let mails = sink.wait_for(5).await;
        let got = inbox(&mails[3..]);
        assert_eq!(
            got[HEAD_PP],
            vec![
                "Essex County Fire and Rescue Service: 1 action due today and 4 actions needing an update"
                    .to_owned()
            ]
        );
        assert_eq!(
            got[HEAD_P],
            vec!["Essex County Fire and Rescue Service: 1 action needing an update".to_owned()]
        );

        // 1 March, a Monday: the policy is overdue (told once), and the manager's weekly
        // digest lists it; what was told on the 28th is not told again.
        assert_eq!(remind(&app, "2021-03-01").await, 2);
        let mails = sink.wait_for(7).await;
        let got = inbox(&mails[5..]);
        assert_eq!(
            got.keys().cloned().collect::<Vec<_>>(),
            vec![MANAGER.to_owned(), HEAD_PP.to_owned()]
        );
        assert_eq!(
            got[HEAD_PP],
            vec!["Essex County Fire and Rescue Service: 1 action overdue".to_owned()]
        );
        assert_eq!(
            got[MANAGER],
            vec!["Essex County Fire and Rescue Service: the weekly summary".to_owned()]
        );
        let weekly = mails[5..].iter().find(|m| m.to == [MANAGER]).unwrap();
        assert!(weekly.body().contains("Overdue across the organisation"));
        assert!(weekly.body().contains(ENFORCEMENT));

        // A second run of the day, and a while for any stray mail: nothing more.
        assert_eq!(remind(&app, "2021-03-01").await, 0);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            sink.mails().len(),
            7,
            "no duplicates: {:?}",
            inbox(&sink.mails())
        );
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM reminder_digests WHERE status <> 'SENT'")
                .await,
            0
        );

        // The same digests are notices for a bell, each person's own.
        let pp_token = essex(
            "demo-essex-head-of-prevention-and-protection",
            Role::Contributor,
        );
        let notices = app
            .gql(Some(&pp_token), NOTICES, json!({ "unread": true }))
            .await;
        let n = &notices.data()["notifications"];
        assert_eq!(n["totalCount"], 4, "{n}");
        let first = &n["edges"][0]["node"];
        assert_eq!(first["kind"], "reminder.due");
        assert_eq!(
            first["title"],
            "Essex County Fire and Rescue Service: 1 action overdue"
        );
        assert!(first["subjectId"].as_str().unwrap().starts_with("rmd_"));
        assert!(first["body"].as_str().unwrap().contains(ENFORCEMENT));
        let manager = essex("demo-essex-assurance-manager", Role::Manager);
        let theirs = app.gql(Some(&manager), NOTICES, json!({})).await;
        assert_eq!(theirs.data()["notifications"]["totalCount"], 1);
        // Nobody of another organisation sees them, nor can mark one read.
        let other = token("rotherham", Role::Manager);
        let none = app.gql(Some(&other), NOTICES, json!({})).await;
        assert_eq!(none.data()["notifications"]["totalCount"], 0);
        let id = first["id"].as_str().unwrap();
        let mark = app
            .gql(
                Some(&other),
                "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
                json!({ "ids": [id] }),
            )
            .await;
        assert_eq!(mark.codes(), ["NOT_FOUND"]);
        let mark = app
            .gql(
                Some(&pp_token),
                "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }",
                json!({ "ids": [id] }),
            )
            .await;
        assert_eq!(mark.data()["markNotificationsRead"], 1);

        // And `reminder.due` events, with ids and never content.
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM outbox_events WHERE event_type = 'reminder.due'")
                .await,
            7
        );
    }
}

const SETTINGS: &str = "{ reminderSettings { enabled leadTimes staleAfterDays quietDays weeklyDay panelDigest updatedAt } }";
const UPDATE_SETTINGS: &str = "mutation($input: ReminderSettingsInput!) { updateReminderSettings(input: $input) { enabled leadTimes staleAfterDays quietDays weeklyDay panelDigest } }";
const PREFS: &str = "{ myReminderPreferences { enabled frequency } }";
const UPDATE_PREFS: &str = "mutation($input: ReminderPreferencesInput!) { updateMyReminderPreferences(input: $input) { enabled frequency } }";

/// A person of `org` in `role`, with a name and an address.
fn person(org: &str, role: Role, who: &str) -> String {
    Claims {
        sub: format!("{who}-{org}"),
        name: Some(who.to_owned()),
        email: Some(format!("{who}@council.example")),
        ..Claims::new(org, role)
    }
    .sign()
}

/// How many events of `entity_type` the caller's trail holds.
async fn trail_of(app: &TestApp, manager: &str, entity_type: &str) -> usize {
    let t = app
        .gql(
            Some(manager),
            "{ auditEvents(first: 100) { edges { node { entityType actorRole } } } }",
            json!({}),
        )
        .await;
    t.data()["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["entityType"] == entity_type)
        .count()
}

/// The id of the caller.
async fn me(app: &TestApp, tok: &str) -> String {
    let resp = app
        .gql(Some(tok), "{ me { user { id } } }", json!({}))
        .await;
    resp.data()["me"]["user"]["id"].as_str().unwrap().to_owned()
}

/// A plan of `org` with one action per owner, due on `due`.
async fn plan_of(app: &TestApp, org: &str, owners: &[(&str, &str)], due: &str) {
    let manager = token(org, Role::Manager);
    let review = plan::review(app, &manager, "Protection peer review").await;
    let rec = plan::recommendation(app, &manager, &review, "R1").await;
    for (title, owner_token) in owners {
        let owner = me(app, owner_token).await;
        let action = plan::action(app, &manager, &rec, title, "2021-01-29", due).await;
        let v = plan::version(app, &manager, &action).await;
        let resp = app
            .gql(
                Some(&manager),
                plan::UPDATE_ACTION,
                json!({ "input": { "id": action, "version": v, "ownerUserId": owner } }),
            )
            .await;
        assert!(resp.codes().is_empty(), "{:?}", resp.data());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_opt_outs_and_unsubscribe_links_reach_only_their_own_people() {
    for engine in engines() {
        let sink = Sink::start().await;
        let app = spawn_mailing(engine, &sink).await;
        let w = World::build(&app).await;
        let a = People::of(&w.council_a);
        let b = People::of(&w.council_b);

        // Off by default, as the peers do; every role reads its own organisation's.
        for tok in [&a.viewer, &a.contributor, &a.manager, &b.manager] {
            let s = app.gql(Some(tok), SETTINGS, json!({})).await;
            assert_eq!(
                s.data()["reminderSettings"],
                json!({ "enabled": false, "leadTimes": [14, 7, 1], "staleAfterDays": 30,
                        "quietDays": [], "weeklyDay": "MONDAY", "panelDigest": false, "updatedAt": null })
            );
        }
        // A partner body and the platform operator read their own organisation's, and only a
        // manager changes them: not the platform administrator either.
        let partner = token(&w.partner, Role::Manager);
        let s = app.gql(Some(&partner), SETTINGS, json!({})).await;
        assert_eq!(s.data()["reminderSettings"]["enabled"], false);
        for tok in [&a.viewer, &a.contributor, &w.admin] {
            let refused = app
                .gql(
                    Some(tok),
                    UPDATE_SETTINGS,
                    json!({ "input": { "enabled": true } }),
                )
                .await;
            assert_eq!(refused.codes(), ["FORBIDDEN"]);
        }
        for bad in [
            json!({ "leadTimes": [0] }),
            json!({ "leadTimes": [1, 2, 3, 4, 5, 6, 7] }),
            json!({ "staleAfterDays": -1 }),
            json!({ "quietDays": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] }),
        ] {
            let refused = app
                .gql(Some(&a.manager), UPDATE_SETTINGS, json!({ "input": bad }))
                .await;
            assert_eq!(refused.codes(), ["BAD_USER_INPUT"], "{bad}");
        }
        let set = app
            .gql(
                Some(&a.manager),
                UPDATE_SETTINGS,
                json!({ "input": { "enabled": true, "leadTimes": [1, 10], "quietDays": ["SATURDAY"] } }),
            )
            .await;
        assert_eq!(
            set.data()["updateReminderSettings"]["leadTimes"],
            json!([10, 1])
        );
        // Council B's are still its own, and still off; the change is in A's trail only.
        let s = app.gql(Some(&b.manager), SETTINGS, json!({})).await;
        assert_eq!(s.data()["reminderSettings"]["enabled"], false);
        assert_eq!(trail_of(&app, &a.manager, "REMINDER_SETTINGS").await, 1);
        assert_eq!(trail_of(&app, &b.manager, "REMINDER_SETTINGS").await, 0);

        // Three people of A own an action each, due 10 February 2021; one of B too.
        let ann = person(&w.council_a, Role::Contributor, "ann");
        let bob = person(&w.council_a, Role::Contributor, "bob");
        let cat = person(&w.council_a, Role::Viewer, "cat");
        let dan = person(&w.council_b, Role::Contributor, "dan");
        plan_of(
            &app,
            &w.council_a,
            &[
                ("Ann's action", &ann),
                ("Bob's action", &bob),
                ("Cat's action", &cat),
            ],
            "2021-02-10",
        )
        .await;
        plan_of(&app, &w.council_b, &[("Dan's action", &dan)], "2021-02-10").await;

        // Bob opts out; Cat chooses weekly. Each reads only their own choice.
        let out = app
            .gql(
                Some(&bob),
                UPDATE_PREFS,
                json!({ "input": { "enabled": false } }),
            )
            .await;
        assert_eq!(
            out.data()["updateMyReminderPreferences"],
            json!({ "enabled": false, "frequency": "DAILY" })
        );
        app.gql(
            Some(&cat),
            UPDATE_PREFS,
            json!({ "input": { "frequency": "WEEKLY" } }),
        )
        .await;
        let mine = app.gql(Some(&ann), PREFS, json!({})).await;
        assert_eq!(
            mine.data()["myReminderPreferences"],
            json!({ "enabled": true, "frequency": "DAILY" })
        );
        let empty = app
            .gql(Some(&ann), UPDATE_PREFS, json!({ "input": {} }))
            .await;
        assert_eq!(empty.codes(), ["BAD_USER_INPUT"]);

        // Council A's case system hears of its reminders by webhook.
        let receiver = crate::webhooks::Receiver::start().await;
        crate::webhooks::endpoint(&app, &a.manager, &receiver.url(), json!(["reminder.due"])).await;

        // 31 January 2021 (a Sunday), ten days before: only Ann hears. Bob opted out, Cat
        // reads weekly (Mondays), and Council B has reminders off.
        assert_eq!(remind(&app, "2021-01-31").await, 1);
        let mails = sink.wait_for(1).await;
        assert_eq!(mails[0].to, ["ann@council.example"]);
        assert!(mails[0].body().contains("Ann's action"));
        assert!(!mails[0].body().contains("Bob's") && !mails[0].body().contains("Dan's"));
        let hooks = receiver.wait_for(1, Duration::from_secs(20)).await;
        let event: Value = serde_json::from_slice(&hooks[0].body).unwrap();
        assert_eq!(event["type"], "reminder.due", "{event}");
        let data = &event["data"];
        assert_eq!(data["recipientUserId"], me(&app, &ann).await, "{event}");
        assert_eq!(data["day"], "2021-01-31");
        assert_eq!(data["reasons"], json!({ "DUE_SOON": 1 }));
        assert_eq!(data["actionIds"].as_array().unwrap().len(), 1);
        assert!(data["id"].as_str().unwrap().starts_with("rmd_"));
        assert!(
            !event.to_string().contains("Ann's action"),
            "ids, never content: {event}"
        );

        // Council B turns reminders on: Dan hears of his own action only.
        app.gql(
            Some(&b.manager),
            UPDATE_SETTINGS,
            json!({ "input": { "enabled": true, "leadTimes": [10] } }),
        )
        .await;
        // 1 February, Monday: Cat's weekly digest; Dan (B) hears of his.
        assert_eq!(remind(&app, "2021-02-01").await, 2);
        let mails = sink.wait_for(3).await;
        let got = inbox(&mails[1..]);
        assert_eq!(
            got.keys().cloned().collect::<Vec<_>>(),
            vec![
                "cat@council.example".to_owned(),
                "dan@council.example".to_owned()
            ]
        );
        // Each reads their own notices, whatever their role: Cat (a viewer) hers, Ann (a
        // contributor) hers, A's manager none of theirs, B's people none of A's.
        for (tok, expected) in [
            (&cat, 1),
            (&ann, 1),
            (&a.manager, 0),
            (&dan, 1),
            (&b.manager, 0),
        ] {
            let n = app.gql(Some(tok), NOTICES, json!({})).await;
            assert_eq!(
                n.data()["notifications"]["totalCount"],
                expected,
                "{:?}",
                n.data()
            );
        }
        let cats = app.gql(Some(&cat), NOTICES, json!({})).await;
        assert!(
            cats.data()["notifications"]["edges"][0]["node"]["body"]
                .as_str()
                .unwrap()
                .contains("Cat's action")
        );
        let dan_mail = mails[1..]
            .iter()
            .find(|m| m.to == ["dan@council.example"])
            .unwrap();
        assert!(dan_mail.body().contains("Dan's action") && !dan_mail.body().contains("Ann's"));

        // The unsubscribe link: a GET only asks; a one-click POST unsubscribes Ann, and only
        // Ann; a made-up token is not found and changes nothing.
        let link = format!(
            "/reminders/unsubscribe?token={}",
            mails[0].unsubscribe_token()
        );
        let page = app.raw(app.get(&link)).await;
        assert_eq!(page.status, 200);
        let prefs = app.gql(Some(&ann), PREFS, json!({})).await;
        assert_eq!(prefs.data()["myReminderPreferences"]["enabled"], true);
        let forged = format!("/reminders/unsubscribe?token={}", "ab".repeat(32));
        for path in [
            forged.as_str(),
            "/reminders/unsubscribe?token=nonsense",
            "/reminders/unsubscribe",
        ] {
            let resp = app
                .raw(
                    app.client
                        .post(format!("{}{path}", app.base))
                        .body("List-Unsubscribe=One-Click"),
                )
                .await;
            assert_eq!(resp.status, 404, "{path}");
        }
        let done = app
            .raw(
                app.client
                    .post(format!("{}{link}", app.base))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("List-Unsubscribe=One-Click"),
            )
            .await;
        assert_eq!(done.status, 200);
        let prefs = app.gql(Some(&ann), PREFS, json!({})).await;
        assert_eq!(prefs.data()["myReminderPreferences"]["enabled"], false);
        for other in [&cat, &dan] {
            let prefs = app.gql(Some(other), PREFS, json!({})).await;
            assert_eq!(prefs.data()["myReminderPreferences"]["enabled"], true);
        }
        // Audited as Ann's own change, in A's trail.
        assert_eq!(trail_of(&app, &a.manager, "REMINDER_PREFERENCES").await, 3);
        assert_eq!(trail_of(&app, &b.manager, "REMINDER_PREFERENCES").await, 0);

        // 8 February, Monday: Cat's weekly day, but she was told of her action's 10-day mark
        // already, and nothing else is due.
        assert_eq!(remind(&app, "2021-02-08").await, 0);
        // 10 February, the delivery date: Ann unsubscribed and Bob opted out, and it is not
        // Cat's day; Dan hears.
        assert_eq!(remind(&app, "2021-02-10").await, 1);
        let mails = sink.wait_for(4).await;
        assert_eq!(mails[3].to, ["dan@council.example"]);
        assert!(mails[3].body().contains("due today"));
        // A's endpoint heard of A's digests only (Ann's, then Cat's), never of B's.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let hooks = receiver.received();
        assert_eq!(hooks.len(), 2, "{}", hooks.len());
        let cat_id = me(&app, &cat).await;
        let second: Value = serde_json::from_slice(&hooks[1].body).unwrap();
        assert_eq!(second["data"]["recipientUserId"], cat_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_that_refuses_means_retries_not_losses_or_duplicates() {
    for engine in engines() {
        // First no server at all (the address refuses connections), then one that says
        // "try later", then one that takes the mail.
        let port = {
            let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            held.local_addr().unwrap()
        };
        let down = Sink {
            addr: port,
            mails: Arc::default(),
            refuse: Arc::default(),
            refused: Arc::default(),
        };
        let app = spawn_mailing(engine, &down).await;
        app.seed_demo().await;
        assert_eq!(remind(&app, "2021-02-21").await, 2);
        for _ in 0..100 {
            if app
                .scalar("SELECT CAST(MIN(attempts) AS BIGINT) FROM reminder_digests")
                .await
                >= 2
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM reminder_digests WHERE status = 'PENDING' AND last_error IS NOT NULL")
                .await,
            2,
            "waiting, with the error kept"
        );
        let sink = Sink::start_on(port).await;
        sink.refuse(2);
        let mails = sink.wait_for(2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            sink.mails().len(),
            2,
            "each digest once: {:?}",
            inbox(&mails)
        );
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM reminder_digests WHERE status = 'SENT'")
                .await,
            2
        );
        assert!(
            app.scalar("SELECT CAST(MAX(attempts) AS BIGINT) FROM reminder_digests")
                .await
                >= 2,
            "tried again"
        );
    }
}

/// Two instances with the daily run due at once (00:00 UK time): each queues the day's run,
/// and each person hears once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_remind_each_person_once() {
    for engine in engines() {
        let sink = Sink::start().await;
        let url = sink.url();
        let adjust = |c: &mut resilience_hub::config::Config, url: String| {
            c.reminders.at = chrono::NaiveTime::from_hms_opt(0, 0, 0);
            c.reminders.mail.smtp_url = Some(url);
            c.reminders.mail.retry = Duration::from_millis(200);
            c.events.webhooks.sweep = Duration::from_millis(300);
        };
        // The first instance's clock is off until the data is in.
        let first = TestApp::spawn_with(engine, |c| {
            adjust(c, url.clone());
            c.reminders.at = None;
        })
        .await;
        let w = World::build(&first).await;
        let a = People::of(&w.council_a);
        first
            .gql(
                Some(&a.manager),
                UPDATE_SETTINGS,
                json!({ "input": { "enabled": true } }),
            )
            .await;
        let ann = person(&w.council_a, Role::Contributor, "ann");
        let due = (resilience_hub::dates::london_today() + chrono::Duration::days(7)).to_string();
        plan_of(&first, &w.council_a, &[("Ann's action", &ann)], &due).await;
        let second = first.spawn_beside(|c| adjust(c, url.clone())).await;
        let third = first.spawn_beside(|c| adjust(c, url.clone())).await;
        let mails = sink.wait_for(1).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(sink.mails().len(), 1, "once: {:?}", inbox(&mails));
        assert!(mails[0].body().contains("in 7 days"));
        drop(third);
        drop(second);
    }
}

/// What the JSON of a value says, for messages.
#[allow(dead_code)]
fn show(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// A panel that opts in: its managers hear each week how many of each member's actions newly
/// went overdue, as counts, never as the members' actions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_that_opts_in_hears_its_members_counts_and_nothing_more() {
    for engine in engines() {
        let sink = Sink::start().await;
        let app = spawn_mailing(engine, &sink).await;
        app.seed_demo().await;
        let lead = Claims {
            sub: "demo-central-london-lead".into(),
            email: Some("lead@london-central.example".into()),
            name: Some("Central London sub-regional lead".into()),
            ..Claims::new("london-central", Role::Manager)
        }
        .sign();
        me(&app, &lead).await;
        // Not opted in: nothing on the Monday after the boroughs' first delivery date (a dry
        // run, which records nothing).
        let on = app
            .gql(
                Some(&lead),
                UPDATE_SETTINGS,
                json!({ "input": { "enabled": true } }),
            )
            .await;
        assert_eq!(on.data()["updateReminderSettings"]["panelDigest"], false);
        let dry = run_on(&app, "2025-04-07", true).await;
        assert!(dry.is_empty(), "{dry:?}");
        app.gql(
            Some(&lead),
            UPDATE_SETTINGS,
            json!({ "input": { "panelDigest": true } }),
        )
        .await;
        assert_eq!(remind(&app, "2025-04-07").await, 1);
        let mails = sink.wait_for(1).await;
        let m = &mails[0];
        assert_eq!(m.to, ["lead@london-central.example"]);
        assert!(
            m.body()
                .contains("Members' actions newly overdue this week"),
            "{}",
            m.data
        );
        assert!(m.body().contains("newly overdue"), "{}", m.body());
        // Counts only: no member's action is named or linked.
        assert!(!m.body().contains("/actions/act_"), "{}", m.body());
        assert!(!m.body().contains("live exercise"), "{}", m.body());
        // The week after, nothing newly went overdue: nothing to say.
        assert_eq!(remind(&app, "2025-04-14").await, 0);
    }
}

/// A manager's weekly digest lists the assessments still in draft before their cycle's
/// deadline (the last day of its year).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_weekly_digest_lists_drafts_before_their_deadline() {
    for engine in engines() {
        let sink = Sink::start().await;
        let app = spawn_mailing(engine, &sink).await;
        app.seed_demo().await;
        // Kensington and Chelsea's 2024-25 self-assessment is still a draft.
        let manager = Claims {
            sub: "kc-manager".into(),
            email: Some("resilience@kc.example".into()),
            name: Some("Kensington and Chelsea resilience manager".into()),
            ..Claims::new("kensington-chelsea", Role::Manager)
        }
        .sign();
        me(&app, &manager).await;
        app.gql(
            Some(&manager),
            UPDATE_SETTINGS,
            json!({ "input": { "enabled": true } }),
        )
        .await;
        // Monday 3 March 2025: 28 days before the cycle ends.
        assert_eq!(remind(&app, "2025-03-03").await, 1);
        let mails = sink.wait_for(1).await;
        let m = &mails[0];
        assert_eq!(m.to, ["resilience@kc.example"]);
        assert!(
            m.body().contains("Assessments awaiting submission"),
            "{}",
            m.body()
        );
        assert!(
            m.body()
                .contains("(2024-25): submit by 31 March 2025, in 28 days"),
            "{}",
            m.data
        );
        assert!(
            m.body()
                .contains("https://kensington-chelsea.hub.example/assessments/asm_"),
            "{}",
            m.body()
        );
        // Once the cycle has ended, the draft is no longer "before its deadline".
        let later = run_on(&app, "2025-04-07", true).await;
        assert!(later.iter().all(|p| p.digest.assessments.is_empty()));
    }
}

//! An organisation's assessments against a framework, every cycle and tier, and the
//! challenges its panel held of the moderated ones.

use chrono::NaiveDate;
use rand::Rng;
use uuid::Uuid;

use super::{ANCHOR, CYCLES, Framework, OrgGen, days, moment};
use crate::bench_data::sink::Table;

impl OrgGen<'_> {
    /// The organisation's assessments against `fw`: every cycle, every tier, and for the
    /// moderated self-assessments the challenge of `challenger` (panel, its manager).
    pub(super) fn assessments(&mut self, fw: &Framework, challenger: Option<(Uuid, Uuid)>) {
        let org = self.org.id;
        // How mature the organisation is, on the 0–3 scale; it improves a little each cycle.
        let maturity: f64 = self.rng.random_range(0.6..2.0);
        for (c, cycle) in CYCLES.iter().enumerate() {
            let current = c + 1 == CYCLES.len();
            let year: i32 = 2000 + cycle[5..].parse::<i32>().expect("cycle");
            let submitted_on = (NaiveDate::from_ymd_opt(year, 1, 10).expect("date")
                + days(self.rng.random_range(0..70)))
            .min(ANCHOR);
            for tier in [
                "SELF_ASSESSMENT",
                "SUB_REGIONAL_CHALLENGE",
                "PEER_CHALLENGE",
            ] {
                let self_tier = tier == "SELF_ASSESSMENT";
                let roll: f64 = self.rng.random();
                let status = match (current, challenger.is_some() && self_tier) {
                    (true, _) if roll < 0.25 => "DRAFT",
                    (true, true) if roll < 0.6 => "MODERATED",
                    (false, true) if roll < 0.5 => "MODERATED",
                    (false, true) if roll < 0.8 => "PUBLISHED",
                    _ => "SUBMITTED",
                };
                let draft = status == "DRAFT";
                let created = moment(submitted_on - days(40), 0);
                let id = self.id(created);
                let levels: Vec<Option<usize>> = fw
                    .standards
                    .iter()
                    .map(|_| {
                        if draft && self.rng.random_bool(0.2) {
                            return None;
                        }
                        let noise: f64 = self.rng.random_range(-1.0..1.0);
                        let level = (maturity + 0.25 * c as f64 + noise).round();
                        Some(level.clamp(0.0, 3.0) as usize)
                    })
                    .collect();
                for (s, level) in fw.standards.iter().zip(&levels) {
                    let rid = self.id(created);
                    self.sink.push(
                        Table::Ratings,
                        vec![
                            rid.into(),
                            org.into(),
                            id.into(),
                            (*s).into(),
                            level.map(|l| fw.levels[l]).into(),
                            level
                                .is_some()
                                .then_some("Evidence held in the annual assurance pack.")
                                .into(),
                            1.into(),
                            self.manager().into(),
                            created.into(),
                        ],
                    );
                }
                self.sink.push(
                    Table::Assessments,
                    vec![
                        id.into(),
                        org.into(),
                        fw.id.into(),
                        (*cycle).into(),
                        tier.into(),
                        status.into(),
                        (!draft).then_some(submitted_on).into(),
                        (!draft).then_some(self.manager()).into(),
                        (if draft { 1 } else { 2 }).into(),
                        created.into(),
                        moment(submitted_on, 0).into(),
                    ],
                );
                if let (Some((panel, lead)), "MODERATED" | "PUBLISHED") = (challenger, status) {
                    self.challenge(fw, id, &levels, submitted_on, panel, lead);
                }
            }
        }
    }

    /// A completed challenge session with a moderation of every standard.
    fn challenge(
        &mut self,
        fw: &Framework,
        assessment: Uuid,
        levels: &[Option<usize>],
        submitted_on: NaiveDate,
        panel: Uuid,
        lead: Uuid,
    ) {
        let org = self.org.id;
        let held = (submitted_on + days(self.rng.random_range(14..=60))).min(ANCHOR);
        let at = moment(held, 0);
        let id = self.id(at);
        self.sink.push(
            Table::Challenges,
            vec![
                id.into(),
                panel.into(),
                org.into(),
                assessment.into(),
                held.into(),
                "SUB_REGIONAL_CHALLENGE".into(),
                "Sub-regional lead, two peer boroughs' emergency planning managers".into(),
                true.into(),
                lead.into(),
                at.into(),
            ],
        );
        for (n, (standard, level)) in fw.standards.iter().zip(levels).enumerate() {
            let own = level.unwrap_or(1);
            let roll: f64 = self.rng.random();
            let (outcome, moderated) = if roll < 0.7 {
                ("AGREED", own)
            } else if roll < 0.95 {
                let other = if own == 0 || (own < 3 && self.rng.random_bool(0.3)) {
                    own + 1
                } else {
                    own - 1
                };
                ("ADJUSTED", other)
            } else {
                ("QUERIED", own)
            };
            let mat = moment(held, 1 + n as i64);
            let mid = self.id(mat);
            self.sink.push(
                Table::Moderations,
                vec![
                    mid.into(),
                    panel.into(),
                    org.into(),
                    assessment.into(),
                    id.into(),
                    (*standard).into(),
                    fw.levels[moderated].into(),
                    outcome.into(),
                    (outcome != "AGREED")
                        .then_some("The panel asked for more evidence of testing.")
                        .into(),
                    lead.into(),
                    mat.into(),
                ],
            );
        }
    }
}

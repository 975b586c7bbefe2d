//! The vocabulary of the generated data, taken from the source papers: who the organisations
//! are, what reviews they go through, what the recommendations ask and who owns the actions.

/// The 33 London local authorities, which form the London-wide panel.
pub const LONDON_BOROUGHS: [&str; 33] = [
    "City of London Corporation",
    "London Borough of Barking and Dagenham",
    "London Borough of Barnet",
    "London Borough of Bexley",
    "London Borough of Brent",
    "London Borough of Bromley",
    "London Borough of Camden",
    "London Borough of Croydon",
    "London Borough of Ealing",
    "London Borough of Enfield",
    "Royal Borough of Greenwich",
    "London Borough of Hackney",
    "London Borough of Hammersmith & Fulham",
    "London Borough of Haringey",
    "London Borough of Harrow",
    "London Borough of Havering",
    "London Borough of Hillingdon",
    "London Borough of Hounslow",
    "London Borough of Islington",
    "Royal Borough of Kensington and Chelsea",
    "Royal Borough of Kingston upon Thames",
    "London Borough of Lambeth",
    "London Borough of Lewisham",
    "London Borough of Merton",
    "London Borough of Newham",
    "London Borough of Redbridge",
    "London Borough of Richmond upon Thames",
    "London Borough of Southwark",
    "London Borough of Sutton",
    "London Borough of Tower Hamlets",
    "London Borough of Waltham Forest",
    "London Borough of Wandsworth",
    "Westminster City Council",
];

/// London's six resilience sub-regions, each a partnership of five to seven boroughs.
pub const LONDON_SUB_REGIONS: [&str; 6] = [
    "Central London Sub-Regional Resilience Partnership",
    "North London Sub-Regional Resilience Partnership",
    "North East London Sub-Regional Resilience Partnership",
    "South East London Sub-Regional Resilience Partnership",
    "South West London Sub-Regional Resilience Partnership",
    "West London Sub-Regional Resilience Partnership",
];

/// Places outside London that councils and fire and rescue services are named after, with
/// the region each lies in.
pub const PLACES: &[(&str, &str)] = &[
    ("Rotherham", "Yorkshire and the Humber"),
    ("Sheffield", "Yorkshire and the Humber"),
    ("Doncaster", "Yorkshire and the Humber"),
    ("Barnsley", "Yorkshire and the Humber"),
    ("Leeds", "Yorkshire and the Humber"),
    ("Bradford", "Yorkshire and the Humber"),
    ("Wakefield", "Yorkshire and the Humber"),
    ("Kirklees", "Yorkshire and the Humber"),
    ("Calderdale", "Yorkshire and the Humber"),
    ("York", "Yorkshire and the Humber"),
    ("Hull", "Yorkshire and the Humber"),
    ("Harrogate", "Yorkshire and the Humber"),
    ("Essex", "East of England"),
    ("Hertfordshire", "East of England"),
    ("Cambridgeshire", "East of England"),
    ("Norfolk", "East of England"),
    ("Suffolk", "East of England"),
    ("Bedford", "East of England"),
    ("Luton", "East of England"),
    ("Peterborough", "East of England"),
    ("Colchester", "East of England"),
    ("Chelmsford", "East of England"),
    ("Ipswich", "East of England"),
    ("Norwich", "East of England"),
    ("Hereford", "West Midlands"),
    ("Worcester", "West Midlands"),
    ("Birmingham", "West Midlands"),
    ("Coventry", "West Midlands"),
    ("Wolverhampton", "West Midlands"),
    ("Dudley", "West Midlands"),
    ("Walsall", "West Midlands"),
    ("Sandwell", "West Midlands"),
    ("Solihull", "West Midlands"),
    ("Stoke-on-Trent", "West Midlands"),
    ("Shropshire", "West Midlands"),
    ("Warwickshire", "West Midlands"),
    ("Staffordshire", "West Midlands"),
    ("Derby", "East Midlands"),
    ("Nottingham", "East Midlands"),
    ("Leicester", "East Midlands"),
    ("Lincoln", "East Midlands"),
    ("Northampton", "East Midlands"),
    ("Rutland", "East Midlands"),
    ("Derbyshire", "East Midlands"),
    ("Nottinghamshire", "East Midlands"),
    ("Leicestershire", "East Midlands"),
    ("Lincolnshire", "East Midlands"),
    ("Manchester", "North West"),
    ("Salford", "North West"),
    ("Bolton", "North West"),
    ("Wigan", "North West"),
    ("Oldham", "North West"),
    ("Rochdale", "North West"),
    ("Stockport", "North West"),
    ("Trafford", "North West"),
    ("Liverpool", "North West"),
    ("Sefton", "North West"),
    ("Wirral", "North West"),
    ("Knowsley", "North West"),
    ("Lancashire", "North West"),
    ("Cumbria", "North West"),
    ("Cheshire", "North West"),
    ("Blackpool", "North West"),
    ("Newcastle upon Tyne", "North East"),
    ("Gateshead", "North East"),
    ("Sunderland", "North East"),
    ("Durham", "North East"),
    ("Northumberland", "North East"),
    ("Middlesbrough", "North East"),
    ("Darlington", "North East"),
    ("Hartlepool", "North East"),
    ("Kent", "South East"),
    ("Surrey", "South East"),
    ("Sussex", "South East"),
    ("Hampshire", "South East"),
    ("Oxfordshire", "South East"),
    ("Buckinghamshire", "South East"),
    ("Berkshire", "South East"),
    ("Brighton and Hove", "South East"),
    ("Portsmouth", "South East"),
    ("Southampton", "South East"),
    ("Medway", "South East"),
    ("Milton Keynes", "South East"),
    ("Reading", "South East"),
    ("Slough", "South East"),
    ("Canterbury", "South East"),
    ("Devon", "South West"),
    ("Cornwall", "South West"),
    ("Somerset", "South West"),
    ("Dorset", "South West"),
    ("Wiltshire", "South West"),
    ("Gloucestershire", "South West"),
    ("Bristol", "South West"),
    ("Plymouth", "South West"),
    ("Swindon", "South West"),
    ("Bath and North East Somerset", "South West"),
    ("Exeter", "South West"),
    ("Cheltenham", "South West"),
];

/// How councils outside London are named: `{place} {suffix}`.
pub const COUNCIL_SUFFIXES: [&str; 5] = [
    "City Council",
    "Metropolitan Borough Council",
    "County Council",
    "Borough Council",
    "District Council",
];

/// The partner bodies: national bodies that read what organisations share with partners.
pub const PARTNER_BODIES: [(&str, &str); 3] = [
    (
        "Local Government Association",
        "local-government-association",
    ),
    (
        "National Fire Chiefs Council",
        "national-fire-chiefs-council",
    ),
    ("Emergency Planning College", "emergency-planning-college"),
];

/// A review kind's code, how its titles read, and who conducts it.
pub struct ReviewKind {
    pub code: &'static str,
    pub titles: &'static [&'static str],
    pub reviewers: &'static [&'static str],
    /// Relative frequency.
    pub weight: u32,
}

pub const REVIEW_KINDS: [ReviewKind; 7] = [
    ReviewKind {
        code: "INSPECTION",
        titles: &[
            "HMICFRS effectiveness, efficiency and people inspection",
            "HMICFRS thematic inspection: protection",
            "Ofsted focused visit: emergency planning",
        ],
        reviewers: &["HMICFRS", "His Majesty's Inspectorate"],
        weight: 2,
    },
    ReviewKind {
        code: "PEER_REVIEW",
        titles: &[
            "Protection peer review",
            "Operational response peer review",
            "Business continuity peer review",
        ],
        reviewers: &[
            "Hertfordshire Fire and Rescue Service",
            "Essex County Fire and Rescue Service",
            "A neighbouring authority",
        ],
        weight: 3,
    },
    ReviewKind {
        code: "PEER_CHALLENGE",
        titles: &[
            "LGA corporate peer challenge: resilience",
            "Resilience standards peer challenge",
        ],
        reviewers: &["Local Government Association"],
        weight: 2,
    },
    ReviewKind {
        code: "SCRUTINY_REVIEW",
        titles: &[
            "Scrutiny review of the Major Incident Plan",
            "Scrutiny review of flood preparedness",
            "Scrutiny review of winter resilience",
        ],
        reviewers: &[
            "Overview and Scrutiny Management Board",
            "Scrutiny working group",
        ],
        weight: 3,
    },
    ReviewKind {
        code: "INTERNAL_AUDIT",
        titles: &[
            "Internal audit of business continuity",
            "Internal audit of emergency planning arrangements",
        ],
        reviewers: &["Internal Audit"],
        weight: 2,
    },
    ReviewKind {
        code: "EXERCISE_DEBRIEF",
        titles: &[
            "Exercise debrief: rest centre activation",
            "Exercise debrief: borough emergency control centre",
            "Exercise debrief: multi-agency flood response",
        ],
        reviewers: &["Emergency planning team", "Local Resilience Forum"],
        weight: 4,
    },
    ReviewKind {
        code: "INCIDENT_DEBRIEF",
        titles: &[
            "Incident debrief: storm and power loss",
            "Incident debrief: major fire and evacuation",
            "Incident debrief: flooding",
            "Incident debrief: pandemic response",
        ],
        reviewers: &["Emergency planning team", "Strategic coordinating group"],
        weight: 4,
    },
];

/// What recommendations ask for.
pub const RECOMMENDATIONS: &[&str] = &[
    "Review and update the Major Incident Plan, and publish it to all officers with an emergency role.",
    "Establish an out of hours system for protection enquiries.",
    "Clear the backlog of safe and well visits and keep it cleared.",
    "Train every loggist and rest centre manager, and keep a register of those trained.",
    "Exercise the borough emergency control centre at least once a year.",
    "Agree mutual aid arrangements with neighbouring authorities.",
    "Record lessons from each exercise and incident debrief, and track them to completion.",
    "Test business continuity plans for every critical service.",
    "Improve how the public is warned and informed during an emergency.",
    "Set out how recovery will be led from the start of an emergency.",
    "Make sure risk-based inspection targets the premises at highest risk.",
    "Report progress against this plan to the committee each quarter.",
];

/// What actions say.
pub const ACTIONS: &[&str] = &[
    "Draft the revised plan and consult partners",
    "Publish the plan on the intranet",
    "Recruit and train additional volunteers",
    "Run a table-top exercise and record the debrief",
    "Procure a new notification system",
    "Agree the rota with the unions",
    "Brief elected members on their role",
    "Audit completed visits against the target",
    "Update the community risk register",
    "Set up a quarterly performance report",
    "Review the emergency centre's equipment",
    "Sign the memorandum of understanding",
];

/// Who owns actions.
pub const OWNERS: &[&str] = &[
    "Head of Community Safety, Resilience and Emergency Planning",
    "Head of Protection",
    "Head of Prevention and Protection",
    "Assistant Director: Prevention",
    "Emergency Planning Manager",
    "Business Continuity Lead",
    "Head of Communications",
    "Area Manager, Response",
];

/// What progress updates say, by stage.
pub const UPDATES: &[&str] = &[
    "Work has started; scope agreed with partners.",
    "On track: draft circulated for comment.",
    "Delayed by staff absence; recovery plan agreed.",
    "Consultation closed; responses being reviewed.",
    "Awaiting sign-off at the next board.",
    "Exercise held; debrief actions recorded.",
    "Training delivered to the first cohort.",
];

/// Why delivery dates move.
pub const EXTENSION_REASONS: &[&str] = &[
    "Consultation took longer than planned",
    "Staff redeployed to the incident response",
    "Waiting for the regional framework to be agreed",
    "Procurement delayed",
    "Board meeting moved",
];

/// Slug of a name: lower-case words joined by hyphens.
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.truncate(63);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(
            slugify("London Borough of Hammersmith & Fulham"),
            "london-borough-of-hammersmith-fulham"
        );
        assert_eq!(
            slugify("Stoke-on-Trent City Council"),
            "stoke-on-trent-city-council"
        );
    }
}

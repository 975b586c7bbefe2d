//! Per-request DataLoaders. They are created for each request because they carry the caller's
//! scope: a loader shared between requests could hand one caller's rows to another.
//!
//! A DataLoader batches the loads that arrive within a millisecond of each other, which is not
//! a promise: a slow page can straddle two batches. So list resolvers also *prime* the loaders
//! for the items they return (one query per level for the whole page) when the query asks for
//! the field, and the number of statements of a list does not depend on its length. Every
//! batch function answers for every key it is given (an empty list, or `None`), so that an
//! item without children is remembered as such and never loaded again.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;

use crate::history::AsAt;
use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::{Lookahead, SelectionField};
use uuid::Uuid;

use crate::access::Access;
use crate::actions::summary::{self, Grouping, ProgressSummary, RecommendationCounts};
use crate::actions::{Action, DueDateChange, Standing};
use crate::assessments::{Assessment, Challenge, Moderation, Rating, RatingEvidence};
use crate::error::AppResult;
use crate::organisations::Organisation;
use crate::progress::{Evidence, ProgressUpdate};
use crate::reviews::{Judgement, Recommendation, Review};
use crate::standards::{Framework, Level, Standard};
use crate::users::User;

type BatchFn<K, V> =
    Box<dyn Fn(Access, Vec<K>) -> BoxFuture<'static, AppResult<HashMap<K, V>>> + Send + Sync>;

/// A loader made of a batch function and the caller it loads for.
pub struct Batch<K, V> {
    access: Access,
    load: BatchFn<K, V>,
}

impl<K, V> Loader<K> for Batch<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    type Value = V;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, V>, Self::Error> {
        Ok((self.load)(self.access.clone(), keys.to_vec()).await?)
    }
}

/// A DataLoader that remembers what it loaded (or was primed with) for the request.
pub type Cached<K, V> = DataLoader<Batch<K, V>, HashMapCache>;

fn cached<K, V, F, Fut>(access: &Access, load: F) -> Cached<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
    F: Fn(Access, Vec<K>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = AppResult<HashMap<K, V>>> + Send + 'static,
{
    let batch = Batch {
        access: access.clone(),
        load: Box::new(move |access, keys| Box::pin(load(access, keys))),
    };
    // Batches run on tasks of their own, which keep the request's log span and id.
    DataLoader::with_cache(
        batch,
        crate::telemetry::spawn_in_request,
        HashMapCache::default(),
    )
}

/// A (thing, view) key, for values that depend on the day they are asked about and the moment
/// they are as known at.
pub type OnDay = (Uuid, AsAt);

/// The DataLoaders of one request.
pub struct Loaders {
    /// Organisations by id, as far as visible.
    pub organisations: Cached<Uuid, Organisation>,
    /// The visible panels of each organisation.
    pub panels: Cached<Uuid, Vec<Organisation>>,
    /// Users by id (authors and owners of visible objects).
    pub users: Cached<Uuid, User>,
    /// Reviews by id.
    pub reviews: Cached<Uuid, Review>,
    /// The judgements of each review.
    pub judgements: Cached<Uuid, Vec<Judgement>>,
    /// Recommendations by id.
    pub recommendations: Cached<Uuid, Recommendation>,
    /// The recommendations of each review.
    pub recommendations_of_review: Cached<Uuid, Vec<Recommendation>>,
    /// Actions by id, as they stand today.
    pub actions: Cached<Uuid, Action>,
    /// The actions answering each recommendation, as they stand today.
    pub actions_of_recommendation: Cached<Uuid, Vec<Action>>,
    /// How an action stood on a day.
    pub standings: Cached<OnDay, Standing>,
    /// The committee meetings of each organisation.
    pub committees_of: Cached<Uuid, Vec<crate::committees::Committee>>,
    /// The status history of each action.
    pub status_history: Cached<Uuid, Vec<crate::actions::StatusChange>>,
    /// The percentage complete of an action on a day.
    pub percents: Cached<OnDay, Option<i32>>,
    /// How a recommendation stood on a day.
    pub recommendation_standings: Cached<OnDay, crate::reviews::standing::RecommendationStanding>,
    /// The status history of each recommendation.
    pub recommendation_history:
        Cached<Uuid, Vec<crate::reviews::standing::RecommendationStatusChange>>,
    /// The latest progress update of each action.
    pub latest_update: Cached<Uuid, Option<ProgressUpdate>>,
    /// The latest progress update of an action as it stood on a day.
    pub latest_update_on: Cached<OnDay, Option<ProgressUpdate>>,
    /// The evidence of each action.
    pub evidence: Cached<Uuid, Vec<Evidence>>,
    /// The changes of delivery date of each action.
    pub due_date_changes: Cached<Uuid, Vec<DueDateChange>>,
    /// Where a review stood on a day.
    pub review_progress: Cached<OnDay, ProgressSummary>,
    /// Where an organisation stood on a day.
    pub organisation_progress: Cached<OnDay, ProgressSummary>,
    /// A review's recommendations by status on a day.
    pub review_recommendations: Cached<OnDay, RecommendationCounts>,
    /// An organisation's recommendations by status on a day.
    pub organisation_recommendations: Cached<OnDay, RecommendationCounts>,
    /// Frameworks by id.
    pub frameworks: Cached<Uuid, Framework>,
    /// Standards by id.
    pub standards: Cached<Uuid, Standard>,
    /// Rating levels by id.
    pub levels: Cached<Uuid, Level>,
    /// The standards of each framework.
    pub standards_of_framework: Cached<Uuid, Vec<Standard>>,
    /// The rating scale of each framework.
    pub levels_of_framework: Cached<Uuid, Vec<Level>>,
    /// The standards each recommendation bears on.
    pub recommendation_standards: Cached<Uuid, Vec<Standard>>,
    /// Assessments by id.
    pub assessments: Cached<Uuid, Assessment>,
    /// The ratings of each assessment.
    pub ratings: Cached<Uuid, Vec<Rating>>,
    /// The evidence of each rating.
    pub rating_evidence: Cached<Uuid, Vec<RatingEvidence>>,
    /// The actions linked to each rating.
    pub rating_actions: Cached<Uuid, Vec<Action>>,
    /// The challenges of each assessment.
    pub challenges: Cached<Uuid, Vec<Challenge>>,
    /// The moderations of each assessment.
    pub moderations: Cached<Uuid, Vec<Moderation>>,
    /// The moderations of each challenge.
    pub moderations_of_challenge: Cached<Uuid, Vec<Moderation>>,
    /// The attempts of each webhook delivery.
    pub webhook_attempts: Cached<Uuid, Vec<crate::events::webhooks::Attempt>>,
    /// First pages of reviews' actions read beside their counts, by the review's parent,
    /// waiting for the review's `actions` field (see `crate::progress::plan`).
    pub plan_pages: std::sync::Mutex<HashMap<PlanPage, crate::pagination::Paged<Action>>>,
}

/// Which first page of a review's actions: the review, the view, the order and the size.
pub type PlanPage = (Uuid, AsAt, crate::actions::service::Order, usize);

impl Loaders {
    /// Keeps a first page of a review's actions for its `actions` field.
    pub fn keep_plan_page(&self, key: PlanPage, page: crate::pagination::Paged<Action>) {
        self.plan_pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, page);
    }

    /// The first page kept for `key`, taken: each is answered once.
    pub fn take_plan_page(&self, key: &PlanPage) -> Option<crate::pagination::Paged<Action>> {
        self.plan_pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
    }
}

impl Loaders {
    /// Loaders bound to `access`.
    pub fn new(access: &Access) -> Self {
        use crate::{actions, assessments, organisations, progress, reviews, standards, users};
        Loaders {
            organisations: cached(access, |a, ids| async move {
                let orgs = organisations::service::by_ids(&a, &ids).await?;
                Ok(orgs.into_iter().map(|o| (o.id.0, o)).collect())
            }),
            panels: cached(access, |a, ids| async move {
                organisations::service::panels_of(&a, &ids).await
            }),
            users: cached(access, |a, ids| async move {
                let found = users::service::people(&a, &ids).await?;
                Ok(found.into_iter().map(|u| (u.id.0, u)).collect())
            }),
            reviews: cached(access, |a, ids| async move {
                reviews::service::by_ids(&a, ids).await
            }),
            judgements: cached(access, |a, ids| async move {
                reviews::service::judgements(&a, ids).await
            }),
            recommendations: cached(access, |a, ids| async move {
                reviews::recommendations::by_ids(&a, ids).await
            }),
            recommendations_of_review: cached(access, |a, ids| async move {
                reviews::recommendations::of_reviews(&a, ids).await
            }),
            actions: cached(access, |a, ids| async move {
                actions::service::by_ids(&a, ids).await
            }),
            actions_of_recommendation: cached(access, |a, ids| async move {
                actions::service::of_recommendations(&a, ids).await
            }),
            standings: cached(access, |a, keys| async move {
                let a = &a;
                on_days(keys, |ids, at| async move {
                    actions::service::standings(a, ids, at).await
                })
                .await
            }),
            committees_of: cached(access, |a, ids| async move {
                crate::committees::service::of_organisations(&a, ids).await
            }),
            status_history: cached(access, |a, ids| async move {
                actions::service::status_histories(&a, ids).await
            }),
            percents: cached(access, |a, keys| async move {
                let a = &a;
                on_days(keys, |ids, at| async move {
                    progress::service::percents(a, ids, at).await
                })
                .await
            }),
            recommendation_standings: cached(access, |a, keys| async move {
                let a = &a;
                on_days(keys, |ids, at| async move {
                    crate::reviews::standing::standings(a, ids, at).await
                })
                .await
            }),
            recommendation_history: cached(access, |a, ids| async move {
                crate::reviews::standing::histories(&a, ids).await
            }),
            latest_update: cached(access, |a, ids| async move {
                progress::service::latest(&a, ids).await
            }),
            latest_update_on: cached(access, |a, keys| async move {
                let a = &a;
                on_days(keys, |ids, at| async move {
                    progress::service::latest_at(a, ids, at).await
                })
                .await
            }),
            evidence: cached(access, |a, ids| async move {
                progress::service::evidence_of(&a, ids).await
            }),
            due_date_changes: cached(access, |a, ids| async move {
                actions::due_dates::of_actions(&a, ids).await
            }),
            review_progress: summaries(access, Grouping::Review),
            organisation_progress: summaries(access, Grouping::Organisation),
            review_recommendations: recommendation_counts(access, Grouping::Review),
            organisation_recommendations: recommendation_counts(access, Grouping::Organisation),
            frameworks: cached(access, |a, ids| async move {
                standards::service::by_ids(&a, ids).await
            }),
            standards: cached(access, |a, ids| async move {
                standards::service::standards_by_ids(&a, ids).await
            }),
            levels: cached(access, |a, ids| async move {
                standards::service::levels_by_ids(&a, ids).await
            }),
            standards_of_framework: cached(access, |a, ids| async move {
                standards::service::standards_of(&a, ids).await
            }),
            levels_of_framework: cached(access, |a, ids| async move {
                standards::service::levels_of(&a, ids).await
            }),
            recommendation_standards: cached(access, |a, ids| async move {
                crate::reviews::standards::of_recommendations(&a, ids).await
            }),
            assessments: cached(access, |a, ids| async move {
                assessments::service::by_ids(&a, ids).await
            }),
            ratings: cached(access, |a, ids| async move {
                assessments::service::ratings_of(&a, ids).await
            }),
            rating_evidence: cached(access, |a, ids| async move {
                assessments::service::evidence_of(&a, ids).await
            }),
            rating_actions: cached(access, |a, ids| async move {
                assessments::service::actions_of(&a, ids).await
            }),
            challenges: cached(access, |a, ids| async move {
                assessments::challenges::of_assessments(&a, ids).await
            }),
            moderations: cached(access, |a, ids| async move {
                assessments::challenges::moderations_of(&a, ids).await
            }),
            moderations_of_challenge: cached(access, |a, ids| async move {
                assessments::challenges::moderations_of_challenges(&a, ids).await
            }),
            webhook_attempts: cached(access, |a, ids| async move {
                crate::events::webhooks::service::attempts(&a, ids).await
            }),
            plan_pages: Default::default(),
        }
    }
}

/// A loader of the summaries of reviews or organisations (per `grouping`) on days.
fn summaries(access: &Access, grouping: Grouping) -> Cached<OnDay, ProgressSummary> {
    cached(access, move |a, keys| async move {
        let a = &a;
        on_days(keys, |ids, day| async move {
            summary::progress(a, grouping, &ids, day).await
        })
        .await
    })
}

/// A loader of the recommendation counts of reviews or organisations (per `grouping`) on days.
fn recommendation_counts(
    access: &Access,
    grouping: Grouping,
) -> Cached<OnDay, RecommendationCounts> {
    cached(access, move |a, keys| async move {
        let a = &a;
        on_days(keys, |ids, day| async move {
            summary::recommendation_counts(a, grouping, &ids, day).await
        })
        .await
    })
}

/// Answers (key, view) pairs with one call of `per_day` per distinct view.
async fn on_days<V, Fut>(
    keys: Vec<OnDay>,
    per_day: impl Fn(Vec<Uuid>, AsAt) -> Fut,
) -> AppResult<HashMap<OnDay, V>>
where
    Fut: Future<Output = AppResult<HashMap<Uuid, V>>>,
{
    let mut by_day: HashMap<AsAt, Vec<Uuid>> = HashMap::new();
    for (id, day) in keys {
        by_day.entry(day).or_default().push(id);
    }
    let mut out = HashMap::new();
    for (day, ids) in by_day {
        let found = per_day(ids, day).await?;
        out.extend(found.into_iter().map(|(id, v)| ((id, day), v)));
    }
    Ok(out)
}

/// Primes the summaries of `keys` on every day `progress` (a lookahead on a `progress` field)
/// asks for: their action counts (but on the day `counted`, already primed), and their
/// recommendation counts where a field asks for those.
pub async fn prime_progress(
    access: &Access,
    loaders: &Loaders,
    grouping: Grouping,
    keys: &[Uuid],
    progress: &Lookahead<'_>,
    counted: Option<AsAt>,
) -> AppResult<()> {
    let (summaries, recommendations) = match grouping {
        Grouping::Review => (&loaders.review_progress, &loaders.review_recommendations),
        Grouping::Organisation => (
            &loaders.organisation_progress,
            &loaders.organisation_recommendations,
        ),
    };
    let asks_recommendations = [
        "recommendationsTotal",
        "recommendationsOutstanding",
        "recommendationsDischarged",
        "recommendationsByStatus",
    ]
    .iter()
    .any(|field| progress.field(field).exists());
    for day in days_asked(progress, AsAt::today()) {
        if counted != Some(day) {
            let found = crate::actions::summary::progress(access, grouping, keys, day).await?;
            prime(
                summaries,
                found.into_iter().map(|(id, s)| ((id, day), s)).collect(),
            )
            .await;
        }
        if asks_recommendations {
            let found =
                crate::actions::summary::recommendation_counts(access, grouping, keys, day).await?;
            // Keys without recommendations are answered too, so that none is asked for again.
            let mut counts: HashMap<OnDay, RecommendationCounts> = keys
                .iter()
                .map(|id| ((*id, day), RecommendationCounts::default()))
                .collect();
            counts.extend(found.into_iter().map(|(id, c)| ((id, day), c)));
            prime(recommendations, counts).await;
        }
    }
    Ok(())
}

/// Feeds a loader the values of a whole page at once.
pub async fn prime<K, V>(loader: &Cached<K, V>, values: HashMap<K, V>)
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    loader.feed_many(values).await;
}

/// Whether `loader` already holds a value for each of `keys` (primed by an earlier read).
pub fn primed<K, V>(loader: &Cached<K, V>, keys: &[K]) -> bool
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    let held = loader.get_cached_values();
    keys.iter().all(|k| held.contains_key(k))
}

/// What `loader` holds for `keys`, for those it holds.
pub fn held<K, V>(loader: &Cached<K, V>, keys: &[K]) -> HashMap<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    let mut all = loader.get_cached_values();
    keys.iter().filter_map(|k| all.remove_entry(k)).collect()
}

/// The list `loader` holds for `key`: empty when it has none (batch functions answer every key,
/// so an absent one is an empty one).
pub async fn list<V>(loader: &Cached<Uuid, Vec<V>>, key: Uuid) -> async_graphql::Result<Vec<V>>
where
    V: Send + Sync + Clone + 'static,
{
    Ok(loader.load_one(key).await?.unwrap_or_default())
}

/// The selection of a connection's items: its `nodes` and its `edges { node }` together.
pub fn items<'a>(connection: &Lookahead<'a>) -> Lookahead<'a> {
    let mut fields: Vec<SelectionField<'a>> = connection.field("nodes").selection_fields();
    fields.extend(connection.field("edges").field("node").selection_fields());
    // Neither is selected: an empty selection, in which no field exists.
    Lookahead::try_from(fields.as_slice()).unwrap_or_else(|()| connection.field("nodes"))
}

/// Whether the items of the connection being resolved select `field`.
pub fn items_select(ctx: &Context<'_>, field: &str) -> bool {
    items(&ctx.look_ahead()).field(field).exists()
}

/// The views a selected field is asked about, through its `asOf` and `knownAt` arguments
/// (`default`'s when absent).
pub fn days_asked(field: &Lookahead<'_>, default: AsAt) -> Vec<AsAt> {
    let mut days: Vec<AsAt> = field
        .selection_fields()
        .iter()
        .map(|f| {
            let args = f.arguments().unwrap_or_default();
            let arg = |name: &str| {
                args.iter()
                    .find(|(n, _)| n.as_str() == name)
                    .and_then(|(_, v)| match v {
                        async_graphql::Value::String(s) => Some(s.clone()),
                        _ => None,
                    })
            };
            let day = arg("asOf")
                .and_then(|s| crate::dates::Date::parse(&s))
                .map_or(default.day, |d| d.0);
            let known = arg("knownAt")
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
                .map(|k| k.with_timezone(&chrono::Utc))
                .or(default.known);
            AsAt::new(Some(day), known)
        })
        .collect();
    days.sort_by_key(|a| (a.day, a.known));
    days.dedup();
    days
}

//! Persisted queries: documents a client names by id instead of sending them whole.
//!
//! - **Automatic persisted queries** (Apollo's protocol, `PERSISTED_QUERIES=apq`, the
//!   default): a client first sends only `extensions.persistedQuery.sha256Hash`; if the service
//!   does not hold that document it answers `PERSISTED_QUERY_NOT_FOUND`, and the client sends
//!   the hash with the document, which the service checks and keeps in a bounded cache. Any
//!   document may still be sent whole.
//! - **Trusted documents** (`PERSISTED_QUERIES=allowlist`): the service runs only the
//!   documents of a manifest file its front ends were built with (the formats Apollo's
//!   `generate-persisted-query-manifest` and GraphQL Code Generator's client preset write),
//!   named by id or sent whole; any other document is refused with
//!   `PERSISTED_QUERY_NOT_IN_LIST`.
//! - `PERSISTED_QUERIES=off`: ids are refused with `PERSISTED_QUERY_NOT_SUPPORTED`, which tells
//!   Apollo clients to stop sending them.
//!
//! The cache is kept apart per organisation (the one the verified token names): whether a
//! hash is held must not tell one organisation what documents another sends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use async_graphql::ServerError;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::request::WireRequest;
use crate::error::ErrorCode;
use crate::graphql::coded_error;

/// How the service treats documents sent by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PersistedMode {
    /// Ids are refused (`PERSISTED_QUERY_NOT_SUPPORTED`); documents are sent whole.
    Off,
    /// Automatic persisted queries: any document, by id once the service holds it.
    #[default]
    Apq,
    /// Only the documents of the manifest, by id or whole.
    Allowlist,
}

/// The configuration of persisted queries.
#[derive(Clone, Debug)]
pub struct PersistedSettings {
    pub mode: PersistedMode,
    /// A manifest of trusted documents: required for `allowlist`; with `apq`, its documents
    /// are known by id from the start.
    pub manifest: Option<PathBuf>,
    /// The most bytes of documents the automatic cache holds, all organisations together.
    pub cache_bytes: usize,
}

impl Default for PersistedSettings {
    fn default() -> Self {
        PersistedSettings {
            mode: PersistedMode::Apq,
            manifest: None,
            cache_bytes: 8 * 1024 * 1024,
        }
    }
}

/// The documents a process knows by id: the trusted ones, and those clients registered.
pub struct Persisted {
    mode: PersistedMode,
    /// Trusted documents by the id the manifest gives them.
    trusted: HashMap<String, Arc<str>>,
    /// The SHA-256 of every trusted document's text, so that one sent whole is recognised.
    trusted_hashes: HashMap<[u8; 32], Arc<str>>,
    cache: Mutex<Cache>,
}

/// Documents clients registered, least recently used first out.
struct Cache {
    entries: lru::LruCache<(String, [u8; 32]), Arc<str>>,
    bytes: usize,
    budget: usize,
}

impl Persisted {
    /// Reads the manifest, if any.
    pub fn new(settings: &PersistedSettings) -> anyhow::Result<Self> {
        let trusted = match &settings.manifest {
            Some(path) => read_manifest(path)?,
            None if settings.mode == PersistedMode::Allowlist => {
                bail!(
                    "PERSISTED_QUERIES=allowlist needs PERSISTED_QUERIES_MANIFEST: the file of trusted documents"
                )
            }
            None => HashMap::new(),
        };
        let trusted_hashes = trusted
            .values()
            .map(|doc| (sha256(doc), doc.clone()))
            .collect();
        Ok(Persisted {
            mode: settings.mode,
            trusted,
            trusted_hashes,
            cache: Mutex::new(Cache {
                entries: lru::LruCache::unbounded(),
                bytes: 0,
                budget: settings.cache_bytes,
            }),
        })
    }

    /// How many trusted documents the manifest holds.
    pub fn trusted_count(&self) -> usize {
        self.trusted.len()
    }

    /// The document `request` asks to run, or why it may not run. `namespace` is the
    /// organisation the request's token names (empty without one): what one organisation
    /// registered is never found by another.
    pub(crate) fn document(
        &self,
        namespace: &str,
        request: &WireRequest,
    ) -> Result<Arc<str>, ServerError> {
        let hash = requested_id(request)?;
        let query = request.query.as_deref().filter(|q| !q.trim().is_empty());
        match self.mode {
            PersistedMode::Off => match (hash, query) {
                (Some(_), _) => Err(coded_error(
                    ErrorCode::PersistedQueryNotSupported,
                    "PersistedQueryNotSupported",
                )),
                (None, Some(query)) => Ok(query.into()),
                (None, None) => Err(missing_query()),
            },
            PersistedMode::Allowlist => self.trusted_document(hash, query),
            PersistedMode::Apq => match (hash, query) {
                (None, Some(query)) => Ok(query.into()),
                (None, None) => Err(missing_query()),
                (Some(id), None) => self
                    .trusted
                    .get(id.text())
                    .cloned()
                    .or_else(|| id.digest().and_then(|d| self.cached(namespace, &d)))
                    .ok_or_else(not_found),
                (Some(id), Some(query)) => {
                    let digest = id.digest().ok_or_else(|| {
                        coded_error(
                            ErrorCode::BadRequest,
                            "`sha256Hash` must be the document's SHA-256, in 64 hexadecimal digits",
                        )
                    })?;
                    if sha256(query) != digest {
                        return Err(mismatch());
                    }
                    let document: Arc<str> = query.into();
                    self.register(namespace, digest, document.clone());
                    Ok(document)
                }
            },
        }
    }

    /// In allowlist mode: a trusted document by id, or one sent whole that is in the list.
    fn trusted_document(
        &self,
        id: Option<DocumentId<'_>>,
        query: Option<&str>,
    ) -> Result<Arc<str>, ServerError> {
        let not_in_list = || {
            coded_error(
                ErrorCode::PersistedQueryNotInList,
                "this service runs only the operations of its list of trusted documents, and this is not one of them",
            )
        };
        match (id, query) {
            (Some(id), query) => {
                let document = self.trusted.get(id.text()).ok_or_else(not_in_list)?;
                if let Some(query) = query
                    && query != &**document
                {
                    return Err(mismatch());
                }
                Ok(document.clone())
            }
            (None, Some(query)) => self
                .trusted_hashes
                .get(&sha256(query))
                .cloned()
                .ok_or_else(not_in_list),
            (None, None) => Err(missing_query()),
        }
    }

    fn cached(&self, namespace: &str, digest: &[u8; 32]) -> Option<Arc<str>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.entries.get(&(namespace.to_owned(), *digest)).cloned()
    }

    fn register(&self, namespace: &str, digest: [u8; 32], document: Arc<str>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if document.len() > cache.budget {
            return;
        }
        let key = (namespace.to_owned(), digest);
        if cache.entries.contains(&key) {
            cache.entries.promote(&key);
            return;
        }
        cache.bytes += document.len();
        cache.entries.put(key, document);
        while cache.bytes > cache.budget {
            match cache.entries.pop_lru() {
                Some((_, evicted)) => cache.bytes -= evicted.len(),
                None => break,
            }
        }
    }

    /// Documents in the automatic cache, and their bytes (for tests and metrics).
    pub fn cache_size(&self) -> (usize, usize) {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        (cache.entries.len(), cache.bytes)
    }
}

/// An id a request names its document by.
#[derive(Clone, Copy)]
enum DocumentId<'a> {
    /// `extensions.persistedQuery.sha256Hash`: a SHA-256 in hex.
    Sha256(&'a str),
    /// `documentId`, as the manifest spells it (`sha256:<hex>`, or a bare hash).
    Document(&'a str),
}

impl DocumentId<'_> {
    /// The id as a manifest keys it.
    fn text(&self) -> &str {
        match self {
            DocumentId::Sha256(hex) => hex,
            DocumentId::Document(id) => id.strip_prefix("sha256:").unwrap_or(id),
        }
    }

    /// The SHA-256 the id stands for, if it is one.
    fn digest(&self) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(self.text(), &mut out).ok()?;
        Some(out)
    }
}

/// The id a request names, if any; a version of the protocol other than 1 is refused.
fn requested_id(request: &WireRequest) -> Result<Option<DocumentId<'_>>, ServerError> {
    if let Some(pq) = request
        .extensions
        .as_ref()
        .and_then(|e| e.persisted_query.as_ref())
    {
        if pq.version != 1 {
            return Err(coded_error(
                ErrorCode::BadRequest,
                "persisted query version 1 is the only one this service speaks",
            ));
        }
        return Ok(Some(DocumentId::Sha256(pq.sha256_hash.as_str())));
    }
    Ok(request.document_id.as_deref().map(DocumentId::Document))
}

fn not_found() -> ServerError {
    // The message is the protocol's: Apollo clients match it, or the code, to send the
    // document with its hash.
    coded_error(ErrorCode::PersistedQueryNotFound, "PersistedQueryNotFound")
}

fn mismatch() -> ServerError {
    coded_error(
        ErrorCode::BadRequest,
        "the document's SHA-256 is not the `sha256Hash` sent with it",
    )
}

fn missing_query() -> ServerError {
    coded_error(ErrorCode::BadRequest, "missing the `query`")
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// A manifest of trusted documents: Apollo's persisted query manifest, or a plain map of id
/// to document (GraphQL Code Generator's `persisted-documents.json`, Relay's).
#[derive(Deserialize)]
#[serde(untagged)]
enum Manifest {
    Apollo {
        format: String,
        version: u32,
        operations: Vec<ManifestOperation>,
    },
    Map(HashMap<String, String>),
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

fn read_manifest(path: &Path) -> anyhow::Result<HashMap<String, Arc<str>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the trusted documents of {}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is neither an Apollo persisted query manifest nor a JSON object of id to document",
            path.display()
        )
    })?;
    let entries: Vec<(String, String)> = match manifest {
        Manifest::Apollo {
            format,
            version,
            operations,
        } => {
            if format != "apollo-persisted-query-manifest" || version != 1 {
                bail!(
                    "{}: a manifest of format {format:?} version {version} is not one this service reads (apollo-persisted-query-manifest, version 1)",
                    path.display()
                );
            }
            operations.into_iter().map(|o| (o.id, o.body)).collect()
        }
        Manifest::Map(map) => map.into_iter().collect(),
    };
    let mut trusted = HashMap::with_capacity(entries.len());
    for (id, body) in entries {
        let id = id.strip_prefix("sha256:").unwrap_or(&id).to_owned();
        if async_graphql::parser::parse_query(&body).is_err() {
            bail!(
                "{}: the trusted document {id} does not parse",
                path.display()
            );
        }
        trusted.insert(id, Arc::from(body));
    }
    Ok(trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::request::{PersistedQueryExtension, WireExtensions};

    fn hex_of(text: &str) -> String {
        hex::encode(sha256(text))
    }

    fn by_hash(hash: &str, query: Option<&str>) -> WireRequest {
        WireRequest {
            query: query.map(str::to_owned),
            extensions: Some(WireExtensions {
                persisted_query: Some(PersistedQueryExtension {
                    version: 1,
                    sha256_hash: hash.to_owned(),
                }),
            }),
            ..Default::default()
        }
    }

    fn code(err: &ServerError) -> String {
        match err.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(async_graphql::Value::String(code)) => code.clone(),
            _ => String::new(),
        }
    }

    #[test]
    fn a_registered_document_is_found_by_its_organisation_only() {
        let store = Persisted::new(&PersistedSettings::default()).unwrap();
        let doc = "{ me { role } }";
        let hash = hex_of(doc);
        let miss = store.document("org-a", &by_hash(&hash, None)).unwrap_err();
        assert_eq!(code(&miss), "PERSISTED_QUERY_NOT_FOUND");
        assert_eq!(miss.message, "PersistedQueryNotFound");
        assert_eq!(
            &*store.document("org-a", &by_hash(&hash, Some(doc))).unwrap(),
            doc
        );
        assert_eq!(
            &*store.document("org-a", &by_hash(&hash, None)).unwrap(),
            doc
        );
        let other = store.document("org-b", &by_hash(&hash, None)).unwrap_err();
        assert_eq!(code(&other), "PERSISTED_QUERY_NOT_FOUND");
    }

    #[test]
    fn a_hash_that_does_not_match_is_refused_and_not_kept() {
        let store = Persisted::new(&PersistedSettings::default()).unwrap();
        let wrong = hex_of("{ something else }");
        let err = store
            .document("o", &by_hash(&wrong, Some("{ me { role } }")))
            .unwrap_err();
        assert_eq!(code(&err), "BAD_REQUEST");
        assert_eq!(store.cache_size().0, 0);
        let err = store
            .document("o", &by_hash("not-hex", Some("{ me { role } }")))
            .unwrap_err();
        assert_eq!(code(&err), "BAD_REQUEST");
    }

    #[test]
    fn the_cache_holds_at_most_its_bytes_dropping_the_least_recently_used() {
        let store = Persisted::new(&PersistedSettings {
            cache_bytes: 100,
            ..Default::default()
        })
        .unwrap();
        let docs: Vec<String> = (0..10)
            .map(|i| format!("{{ me {{ role }} __typename a{i}: __typename }}"))
            .collect();
        for doc in &docs {
            store
                .document("o", &by_hash(&hex_of(doc), Some(doc)))
                .unwrap();
        }
        let (count, bytes) = store.cache_size();
        assert!(bytes <= 100, "{bytes}");
        assert!(count < docs.len());
        // The newest is still held; the oldest is gone.
        let last = docs.last().unwrap();
        assert!(store.document("o", &by_hash(&hex_of(last), None)).is_ok());
        assert!(
            store
                .document("o", &by_hash(&hex_of(&docs[0]), None))
                .is_err()
        );
    }

    #[test]
    fn off_refuses_ids_with_the_protocols_words() {
        let store = Persisted::new(&PersistedSettings {
            mode: PersistedMode::Off,
            ..Default::default()
        })
        .unwrap();
        let err = store
            .document("o", &by_hash(&hex_of("{ a }"), None))
            .unwrap_err();
        assert_eq!(code(&err), "PERSISTED_QUERY_NOT_SUPPORTED");
        assert_eq!(err.message, "PersistedQueryNotSupported");
    }

    #[test]
    fn both_manifest_formats_are_read_and_a_bad_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let doc = "query Me { me { role } }";
        let apollo = dir.path().join("apollo.json");
        std::fs::write(
            &apollo,
            serde_json::json!({
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{ "id": hex_of(doc), "name": "Me", "type": "query", "body": doc }]
            })
            .to_string(),
        )
        .unwrap();
        let codegen = dir.path().join("persisted-documents.json");
        std::fs::write(
            &codegen,
            serde_json::json!({ format!("sha256:{}", hex_of(doc)): doc }).to_string(),
        )
        .unwrap();
        for path in [apollo, codegen] {
            let store = Persisted::new(&PersistedSettings {
                mode: PersistedMode::Allowlist,
                manifest: Some(path),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(store.trusted_count(), 1);
            assert_eq!(
                &*store.document("o", &by_hash(&hex_of(doc), None)).unwrap(),
                doc
            );
            let whole = WireRequest {
                query: Some(doc.to_owned()),
                ..Default::default()
            };
            assert_eq!(&*store.document("o", &whole).unwrap(), doc);
            let other = WireRequest {
                query: Some("{ me { role } }".to_owned()),
                ..Default::default()
            };
            assert_eq!(
                code(&store.document("o", &other).unwrap_err()),
                "PERSISTED_QUERY_NOT_IN_LIST"
            );
        }
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"x": "query {"}"#).unwrap();
        let err = Persisted::new(&PersistedSettings {
            mode: PersistedMode::Allowlist,
            manifest: Some(bad),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("does not parse"), "{err}");
        assert!(
            Persisted::new(&PersistedSettings {
                mode: PersistedMode::Allowlist,
                ..Default::default()
            })
            .is_err()
        );
    }
}

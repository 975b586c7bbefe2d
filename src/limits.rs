//! Bounds on what one request may ask of the service, and the fixed bound on how deeply a
//! document may nest before it is parsed.

/// The deepest bracket nesting (`{`, `(`, `[`) accepted before parsing. The parser recurses
/// once per level, so an unbounded document could exhaust the stack; real queries stay far
/// below this, and the configured depth limit (checked after parsing) is much stricter.
pub const MAX_NESTING: usize = 64;

/// Bounds on what one request may ask of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_page_size: usize,
    pub max_body_bytes: usize,
    pub max_batch: usize,
    /// Most SQL statements of one HTTP request; 0 for no limit.
    pub max_statements: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 5_000,
            max_page_size: 100,
            max_body_bytes: 256 * 1024,
            max_batch: 10,
            max_statements: 1_000,
        }
    }
}

//! Closed sets of codes (kinds, statuses, roles, grades): one macro gives each the same shape
//! everywhere it appears. The code a value has in the database, in JSON (audit images, token
//! claims) and in `code()` is written once, next to the variant; the GraphQL name is the
//! variant's in SCREAMING_CASE.

/// Defines an enum of codes: a GraphQL enum, a sea-orm string column, and serde, all agreeing.
///
/// ```ignore
/// closed_set! {
///     /// What kind of review it was.
///     pub enum ReviewKind {
///         /// An inspection by a statutory inspectorate.
///         Inspection => "INSPECTION",
///     }
/// }
/// ```
#[macro_export]
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, )+
        }
    ) => {
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize,
            async_graphql::Enum,
            sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(32))")]
        // After the derive, so that its helper attributes (`#[graphql(...)]`) are known.
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[sea_orm(string_value = $code)]
                #[serde(rename = $code)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value with stored code `code`.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

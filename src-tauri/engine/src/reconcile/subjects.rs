//! Subjects: search by any identifier, with counts; names as recorded per source. The list and
//! its reads live in the store (`store::subjects`, `store::identity`); these names stay so that
//! callers written against them compile.

pub use crate::store::identity::{attributes_of, RecordedAttribute};
pub use crate::store::subjects::{
    list, names_of, page, page_cached, RecordedName, SubjectOrderCache, SubjectPage, SubjectQuery, SubjectSort,
    SubjectSummary,
};

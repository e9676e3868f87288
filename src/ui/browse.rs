//! The explorer's rows and catalogs now live in [`crate::catalog`]; these names stay so UI
//! code written against `ui::browse` keeps compiling. New code imports `crate::catalog`.

pub use crate::catalog::{
    Catalog, ImageRow, LayoutCatalog, RegistryCatalog, RepoRow, RootInfo, SingleCatalog,
    Unavailable, load_root_info, short_platform,
};

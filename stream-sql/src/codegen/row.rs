//! The typed rows of generated code: a tuple with one field per column, `T` for a column
//! that is never NULL, `Option<T>` for one that may be, `()` for one nothing reads.

use proc_macro2::TokenStream;
use quote::quote;

use super::expr::rust_type;
use crate::types::DataType;

/// A column of a generated row.
#[derive(Clone, Copy, Debug)]
pub(super) struct Column {
    pub ty: DataType,
    pub nullable: bool,
    /// False for a column of a scanned table that the query does not read.
    pub used: bool,
}

impl Column {
    /// A column that is read.
    pub fn new(ty: DataType, nullable: bool) -> Self {
        Column {
            ty,
            nullable,
            used: true,
        }
    }

    /// The Rust type of the column's field.
    pub fn rust(&self) -> Result<TokenStream, String> {
        if !self.used {
            return Ok(quote!(()));
        }
        let t = rust_type(self.ty)?;
        Ok(if self.nullable {
            quote!(::std::option::Option<#t>)
        } else {
            t
        })
    }
}

/// The Rust type of a row of `columns`.
pub(super) fn row_type(columns: &[Column]) -> Result<TokenStream, String> {
    let fields = columns
        .iter()
        .map(Column::rust)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(quote!((#(#fields,)*)))
}

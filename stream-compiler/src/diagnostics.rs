//! Errors: every problem found is collected with its span and all are reported together
//! (serde_derive's `Ctxt`).

use proc_macro2::{Span, TokenStream};
use quote::quote;

/// The errors found so far.
#[derive(Default)]
pub struct Errors {
    error: Option<syn::Error>,
}

impl Errors {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.error {
            Some(all) => all.combine(error),
            None => self.error = Some(error),
        }
    }

    /// True if an error was recorded.
    pub fn any(&self) -> bool {
        self.error.is_some()
    }

    /// All recorded errors as one, if any.
    pub fn take(&mut self) -> Option<syn::Error> {
        self.error.take()
    }
}

/// The expansion of a `stream!` that has errors: the errors, what could still be
/// expanded (`best_effort`, statements), then an expression of any type so that no
/// second error follows from the missing job.
pub fn failed(error: syn::Error, best_effort: TokenStream) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        {
            #errors
            #best_effort
            ::core::panic!("`stream!` did not compile")
        }
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("mapp", &["map", "filter"]), Some("map"));
        assert_eq!(did_you_mean("fliter", &["map", "filter"]), Some("filter"));
        assert_eq!(did_you_mean("xyzzy", &["map", "filter"]), None);
    }
}

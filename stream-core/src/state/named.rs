//! State found by name, like Flink's state descriptors: values of any serializable type
//! stored under a name, for functions whose state type cannot be part of their signature
//! (the window functions after an incremental aggregate).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::KeyedState;

/// Named values, each stored encoded (postcard) so one map holds any mix of types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedState {
    values: BTreeMap<String, Vec<u8>>,
    /// The first value that could not be read or written as the type asked for (it fails
    /// the job once the function returns).
    #[serde(skip)]
    error: Option<String>,
}

impl NamedState {
    /// The value stored under `name`, or `None`. Reading it as another type than it was
    /// written with fails the job.
    pub fn get<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let bytes = self.values.get(name)?;
        match postcard::from_bytes(bytes) {
            Ok(value) => Some(value),
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    format!("state `{name}` cannot be read as the type asked for: {e}")
                });
                None
            }
        }
    }

    /// Stores `value` under `name`.
    pub fn put<T: Serialize>(&mut self, name: &str, value: &T) {
        match postcard::to_stdvec(value) {
            Ok(bytes) => {
                self.values.insert(name.to_owned(), bytes);
            }
            Err(e) => {
                self.error
                    .get_or_insert_with(|| format!("state `{name}` cannot be stored: {e}"));
            }
        }
    }

    /// Updates the value under `name` with `f`, starting from `T::default()`; returns the
    /// new value.
    pub fn update<T, F>(&mut self, name: &str, f: F) -> T
    where
        T: Serialize + DeserializeOwned + Default,
        F: FnOnce(&mut T),
    {
        let mut value = self.get(name).unwrap_or_default();
        f(&mut value);
        self.put(name, &value);
        value
    }

    /// Removes the value under `name`.
    pub fn remove(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.values.clear();
    }

    /// The error of the last accesses, if one failed (and forgets it).
    pub fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }
}

impl KeyedState for NamedState {
    fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_several_types_live_under_their_names() {
        let mut state = NamedState::default();
        assert!(state.is_empty());
        state.put("count", &3u64);
        state.put("last", &"x".to_string());
        assert_eq!(state.update("count", |c: &mut u64| *c += 1), 4);
        assert_eq!(state.get::<String>("last").as_deref(), Some("x"));
        assert_eq!(state.get::<u64>("missing"), None);
        assert!(state.take_error().is_none());
        state.remove("last");
        state.remove("count");
        assert!(state.is_empty());
    }

    #[test]
    fn reading_a_value_as_another_type_is_an_error_not_a_guess() {
        let mut state = NamedState::default();
        state.put("flag", &true);
        assert_eq!(state.get::<String>("flag"), None);
        assert!(state.take_error().unwrap().contains("`flag`"));
    }
}

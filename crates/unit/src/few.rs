//! [`Few`]: a list that is empty for almost every value that holds one,
//! in one word.
//!
//! A loaded unit keeps lists that are empty for the common unit — its
//! drop-in paths, `.wants/` links, unsupported directives, diagnostics,
//! check findings — for the manager's whole life. As `Vec`s they were 24
//! bytes each, six of them in every [`crate::config::UnitConfig`]; a `Few`
//! is a null pointer until its first element (8 bytes), and a boxed `Vec`
//! after it: one more allocation for the rare unit that has something to
//! keep, none for the others.
//!
//! It reads as a slice (`Deref<Target = [T]>`) and grows like a `Vec`
//! (`push`, `extend`, `retain`…), so code written for a `Vec` field reads
//! the same.

use std::ops::{Deref, DerefMut};

/// A list in one word while empty; see the module docs.
// The box is the point: a bare `Vec` is three words even when empty.
#[allow(clippy::box_collection)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Few<T>(Option<Box<Vec<T>>>);

impl<T> Few<T> {
    pub const fn new() -> Few<T> {
        Few(None)
    }

    fn vec(&mut self) -> &mut Vec<T> {
        self.0.get_or_insert_with(Default::default)
    }

    pub fn push(&mut self, item: T) {
        self.vec().push(item);
    }

    pub fn insert(&mut self, index: usize, item: T) {
        self.vec().insert(index, item);
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Some(v) = &mut self.0 {
            v.retain(keep);
            if v.is_empty() {
                self.0 = None;
            }
        }
    }

    /// Everything, leaving the list empty.
    pub fn take(&mut self) -> Vec<T> {
        self.0.take().map(|v| *v).unwrap_or_default()
    }

    pub fn into_vec(self) -> Vec<T> {
        self.0.map(|v| *v).unwrap_or_default()
    }
}

impl<T> Default for Few<T> {
    fn default() -> Few<T> {
        Few(None)
    }
}

impl<T> Deref for Few<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<T> DerefMut for Few<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.0 {
            Some(v) => v.as_mut_slice(),
            None => &mut [],
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Few<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> From<Vec<T>> for Few<T> {
    fn from(v: Vec<T>) -> Few<T> {
        if v.is_empty() {
            Few(None)
        } else {
            Few(Some(Box::new(v)))
        }
    }
}

impl<T> FromIterator<T> for Few<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Few<T> {
        Few::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<T> Extend<T> for Few<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let mut iter = iter.into_iter().peekable();
        if iter.peek().is_some() {
            self.vec().extend(iter);
        }
    }
}

impl<'a, T> IntoIterator for &'a Few<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Few<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T> IntoIterator for Few<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::Few;

    #[test]
    fn one_word_and_a_vec_when_used() {
        assert_eq!(std::mem::size_of::<Few<String>>(), 8);
        let mut f: Few<u32> = Few::new();
        assert!(f.is_empty() && f.0.is_none());
        f.extend(std::iter::empty());
        assert!(f.0.is_none(), "extending by nothing allocates nothing");
        f.push(3);
        f.extend([1, 2]);
        f.insert(0, 9);
        f.sort();
        assert_eq!(&*f, &[1, 2, 3, 9]);
        f.retain(|x| *x > 2);
        assert_eq!(f.iter().copied().collect::<Vec<_>>(), [3, 9]);
        f.retain(|_| false);
        assert!(f.0.is_none(), "emptied by retain: back to no allocation");
        let g: Few<u32> = vec![4].into();
        assert_eq!(g.into_vec(), [4]);
    }
}

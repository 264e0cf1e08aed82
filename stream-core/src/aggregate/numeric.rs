use serde::de::DeserializeOwned;
use serde::Serialize;

/// Values that `sum` can add. Integers wrap on overflow, like Java's `long` sums in Flink.
pub trait Summable: Copy + Default + Send + Serialize + DeserializeOwned + 'static {
    /// `self += other`.
    fn add_assign(&mut self, other: Self);

    /// `self -= other`, undoing `add_assign` exactly, and true; false (doing nothing) if
    /// the type cannot: floating-point sums would drift from the sum of what remains.
    fn retract(&mut self, _other: Self) -> bool {
        false
    }
}

macro_rules! wrapping_sum {
    ($($t:ty),*) => {$(
        impl Summable for $t {
            #[inline]
            fn add_assign(&mut self, other: Self) {
                *self = self.wrapping_add(other);
            }
            #[inline]
            fn retract(&mut self, other: Self) -> bool {
                *self = self.wrapping_sub(other);
                true
            }
        }
    )*};
}
wrapping_sum!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl Summable for f32 {
    #[inline]
    fn add_assign(&mut self, other: Self) {
        *self += other;
    }
}

impl Summable for f64 {
    #[inline]
    fn add_assign(&mut self, other: Self) {
        *self += other;
    }
}

/// Values that `avg` can average.
pub trait AsF64 {
    /// The value as an `f64`.
    fn as_f64(&self) -> f64;
}

macro_rules! as_f64 {
    ($($t:ty),*) => {$(
        impl AsF64 for $t {
            #[inline]
            fn as_f64(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
as_f64!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64);

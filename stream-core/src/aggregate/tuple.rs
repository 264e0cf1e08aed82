//! A tuple of aggregates is one aggregate with a tuple accumulator.

use super::Aggregate;

macro_rules! tuple_aggregate {
    ($($a:ident $i:tt),+) => {
        impl<T, $($a: Aggregate<T>),+> Aggregate<T> for ($($a,)+) {
            type Acc = ($($a::Acc,)+);
            type Out = ($($a::Out,)+);

            #[inline]
            fn create(&self) -> Self::Acc {
                ($(self.$i.create(),)+)
            }
            #[inline]
            fn add(&self, acc: &mut Self::Acc, item: &T) {
                $(self.$i.add(&mut acc.$i, item);)+
            }
            #[inline]
            fn merge(&self, acc: &mut Self::Acc, other: Self::Acc) {
                $(self.$i.merge(&mut acc.$i, other.$i);)+
            }
            #[inline]
            fn result(&self, acc: &Self::Acc) -> Self::Out {
                ($(self.$i.result(&acc.$i),)+)
            }
            #[inline]
            fn retract(&self, acc: &mut Self::Acc, other: &Self::Acc) -> bool {
                true $(&& self.$i.retract(&mut acc.$i, &other.$i))+
            }
        }
    };
}

tuple_aggregate!(A 0);
tuple_aggregate!(A 0, B 1);
tuple_aggregate!(A 0, B 1, C 2);
tuple_aggregate!(A 0, B 1, C 2, D 3);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

#[cfg(test)]
mod tests {
    use crate::aggregate::{count, max, sum, Aggregate};

    #[test]
    fn tuples_of_invertible_aggregates_retract() {
        let agg = (count(), sum(|x: &u32| *x as u64));
        let (mut all, mut part) = (agg.create(), agg.create());
        for x in [4u32, 9, 2] {
            agg.add(&mut all, &x);
        }
        agg.add(&mut part, &9);
        assert!(agg.retract(&mut all, &part));
        assert_eq!(agg.result(&all), (2, 6));
        let with_max = (count(), max(|x: &u32| *x));
        let mut acc = with_max.create();
        assert!(
            !with_max.retract(&mut acc, &with_max.create()),
            "max is not invertible"
        );
        let float = sum(|x: &f64| *x);
        assert!(!float.retract(&mut 1.0, &0.5), "float sums would drift");
    }

    #[test]
    fn tuple_accumulator_is_one_static_type() {
        let agg = (count(), max(|x: &u32| *x), sum(|x: &u32| *x as u64));
        let mut acc: (u64, Option<u32>, u64) = agg.create();
        for x in [4u32, 9, 2] {
            agg.add(&mut acc, &x);
        }
        assert_eq!(agg.result(&acc), (3, Some(9), 15));
    }
}

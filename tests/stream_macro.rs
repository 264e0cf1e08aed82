//! `stream!` end to end: pipelines written in the macro run and give Flink's results.

use strom::prelude::*;

#[test]
fn word_count() {
    let counts = collect_sink();
    let job = stream! {
        let words = source(from_vec(vec!["a b a", "b a c"]))
            .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>());
        words.key_by(|w| w.clone()).aggregate(count()).sink(counts.clone());
    };
    job.run().unwrap();
    let mut result = counts.take();
    result.sort();
    assert_eq!(
        result,
        vec![
            ("a".to_string(), 1),
            ("a".to_string(), 2),
            ("a".to_string(), 3),
            ("b".to_string(), 1),
            ("b".to_string(), 2),
            ("c".to_string(), 1)
        ]
    );
}

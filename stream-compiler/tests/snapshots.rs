//! Snapshots of each pass of the compiler on representative pipelines: the graph
//! (`graph`, after `validate`), the planned stages (`plan`), every error with its position
//! (`graph`, `validate`, `plan`) and the expansion (`codegen`), so that a change in any of
//! them shows in review. The `.snap` files under `tests/snapshots/` are reviewed text;
//! `cargo insta review` (or `INSTA_UPDATE=always`) rewrites them after a deliberate change.

use std::fmt::Write;
use std::str::FromStr;

use proc_macro2::TokenStream;
use stream_compiler::diagnostics::Errors;
use stream_compiler::{codegen, graph, parse, plan, validate};

/// The passes of `source` up to the plan: the graph and stages as text, and the errors.
struct Compiled {
    graph: graph::Graph,
    plan: plan::Plan,
    errors: Option<syn::Error>,
    source: String,
}

fn compile(source: &str) -> Compiled {
    // Parsed from text (not `quote!`) so that spans have lines and columns.
    let tokens = TokenStream::from_str(source).expect("the test source lexes");
    let program: parse::Program = match syn::parse2(tokens) {
        Ok(program) => program,
        Err(error) => {
            return Compiled {
                graph: graph::Graph::default(),
                plan: plan::Plan::of(&graph::Graph::default(), &mut Errors::default()),
                errors: Some(error),
                source: source.to_owned(),
            }
        }
    };
    let mut errors = Errors::default();
    let mut graph = graph::Graph::build(&program, &mut errors);
    validate::check(&mut graph, &mut errors);
    let plan = plan::Plan::of(&graph, &mut errors);
    Compiled {
        graph,
        plan,
        errors: errors.take(),
        source: source.to_owned(),
    }
}

impl Compiled {
    /// The graph and the stages, for a pipeline that compiles.
    fn passes(&self) -> String {
        assert!(self.errors.is_none(), "{}", self.errors());
        format!(
            "{}\n{}",
            self.graph,
            self.plan.chaining.plan(&self.plan.logical)
        )
    }

    /// Every error, with the line and column it points at and the code there.
    fn errors(&self) -> String {
        let mut text = String::new();
        for error in self.errors.clone().into_iter().flatten() {
            let start = error.span().start();
            let line = self.source.lines().nth(start.line.saturating_sub(1));
            let _ = writeln!(text, "{}:{}: {error}", start.line, start.column);
            if let Some(line) = line {
                let _ = writeln!(text, "    {}", line.trim());
            }
        }
        text
    }

    /// The expansion, pretty-printed as the body of a function.
    fn expansion(&self) -> String {
        assert!(self.errors.is_none(), "{}", self.errors());
        let expr: syn::Expr = syn::parse2(codegen::generate(&self.graph, &self.plan, "strom"))
            .expect("an expression");
        let file: syn::File = syn::parse_quote! {
            fn expansion() {
                let job = #expr;
            }
        };
        prettyplease::unparse(&file)
    }
}

impl Compiled {
    /// What a body with errors still expands to after them, pretty-printed.
    fn best_effort(&self) -> String {
        assert!(self.errors.is_some(), "the pipeline compiles");
        let tokens = codegen::best_effort(&self.graph, "renamed_strom");
        let file: syn::File = syn::parse_quote! {
            fn best_effort() {
                #tokens
            }
        };
        prettyplease::unparse(&file)
    }
}

const WORD_COUNT: &str = r#"
    let words = source(text_file("in.txt"))
        .flat_map(|line: String| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .event_time(|w| w.len() as i64)
        .watermark(bounded_out_of_orderness(ms(10)));
    words
        .key_by(|w| w.clone())
        .window(tumbling(secs(1)))
        .allowed_lateness(secs(1))
        .late_to(late_words)
        .aggregate((count(), max(|w: &String| w.len())))
        .uid("counts")
        .sink(stdout());
    late_words.sink(print());
"#;

const ONE_INPUT_OPERATORS: &str = r#"
    let parsed = source(from_vec(vec![1u64, 2, 3]))
        .map(|x| x * 2)
        .filter(|x| *x > 2)
        .inspect(|x| println!("{x}"))
        .try_map(|x| Ok::<_, std::io::Error>(x))
        .ingestion_time()
        .parallelism(2);
    let keyed = parsed.rebalance().key_by(|x| x % 3);
    keyed.reduce(|a, b| a + b).sink(print());
    keyed.sum(|x| x).sink(print());
    keyed.min(|x| x).sink(print());
    keyed.max(|x| x).sink(print());
    keyed.min_by(|x| *x).sink(print());
    keyed.max_by(|x| *x).sink(print());
    keyed.process(my_function()).sink(print());
    keyed.aggregate(count()).sink(print());
    keyed.count_window(3, 1).reduce(|a, b| a.max(b)).sink(print());
    let spread = parsed.broadcast();
    let all = union(parsed, spread)
        .window_all(tumbling(secs(1)).processing_time())
        .trigger(count_trigger(2))
        .evictor(count_evictor(2))
        .process(|_ctx, records, out| out.collect(records.len()));
    all.sink(print());
    source(scripted(vec![])).source_time().key_by(|x: &u8| *x).window(tumbling(secs(1))).aggregate(count(), |_ctx, n, out| out.collect(n)).sink(print());
"#;

const TWO_INPUTS: &str = r#"
    let orders = source(scripted(orders()));
    let payments = source(scripted(payments()));
    connect(orders, payments).co_map(|o| o.0, |p| p.0).sink(print());
    connect(orders, payments).key_by(|o| o.0, |p| p.0).process(co_process()).sink(print());
    join(orders, payments)
        .on(|o| o.0, |p| p.0)
        .window(tumbling(secs(1)))
        .allowed_lateness(secs(1))
        .apply(|o, p| (o.1, p.1))
        .sink(print());
    co_group(orders, payments)
        .on(|o| o.0, |p| p.0)
        .window(tumbling(secs(1)))
        .apply(|os, ps, out| out.collect((os.len(), ps.len())))
        .sink(print());
    interval_join(orders, payments)
        .on(|o| o.0, |p| p.0)
        .between(-100, 100)
        .lower_bound_exclusive()
        .late_left_to(late_orders)
        .apply(|o, p| (o.1, p.1))
        .sink(print());
    late_orders.sink(print());
"#;

#[test]
fn word_count() {
    let compiled = compile(WORD_COUNT);
    insta::assert_snapshot!("word_count_passes", compiled.passes());
    insta::assert_snapshot!("word_count_expansion", compiled.expansion());
}

#[test]
fn one_input_operators() {
    let compiled = compile(ONE_INPUT_OPERATORS);
    insta::assert_snapshot!("one_input_operators_passes", compiled.passes());
    insta::assert_snapshot!("one_input_operators_expansion", compiled.expansion());
}

#[test]
fn two_inputs() {
    let compiled = compile(TWO_INPUTS);
    insta::assert_snapshot!("two_inputs_passes", compiled.passes());
    insta::assert_snapshot!("two_inputs_expansion", compiled.expansion());
}

/// Programs the compiler refuses, each with what it reports.
const REFUSED: &[(&str, &str)] = &[
    (
        "parse: bad heads and patterns",
        r#"
        let a = 42;
        let (b, c) = source(x);
        let d = source(x, y);
        let e = source(x).map::<u8>(f);
        let f = union(a);
        let g = join(a, b, c);
        union(numbers, numbers.key_by(|x| *x)).sink(s);
        h.sink(s);
    "#,
    ),
    (
        "validate: no sink, unused results and streams",
        r#"
        let doubled = source(from_vec(v)).map(|x| x * 2);
        let unused = doubled.filter(|x| *x > 2);
        doubled.filter(|x| *x > 2);
    "#,
    ),
    (
        "graph: unknown operators and streams",
        r#"
        let numbers = source(from_vec(v));
        numbers.mapp(|x| x).sink(s);
        numbers.key_by(|x| *x).map(|x| x).sink(s);
        numbers.key_by(|x| *x).window(tumbling(secs(1))).map(|x| x).sink(s);
        numbers.key_by(|x| *x).frobnicate().sink(s);
        numbers.window(tumbling(secs(1))).reduce(|a, b| a + b).sink(s);
        numbers.reduce(|a, b| a + b).sink(s);
        numbers.aggregate(count()).sink(s);
        numbers.count_window(2).reduce(|a, b| a).sink(s);
        missing.sink(s);
        later.sink(s);
        let later = numbers.map(|x| x);
        numbrs.sink(s);
    "#,
    ),
    (
        "graph: arguments, names and ends",
        r#"
        let numbers = source(from_vec(v));
        numbers.map(f, g).sink(s);
        numbers.key_by(|x| *x).count_window(1, 2, 3).reduce(f).sink(s);
        numbers.parallelism(x).sink(s);
        numbers.parallelism(0).sink(s);
        numbers.map(f).uid("m").sink(s);
        numbers.process(f).uid("p").sink(s);
        numbers.union(a.b).sink(s);
        numbers.sink(s).map(f);
        numbers.key_by(|x| *x).window(tumbling(secs(1))).late_to("late").reduce(f).sink(s);
        numbers.key_by(|x| *x).window(tumbling(secs(1))).late_to(a).late_to(b).reduce(f).sink(s);
        numbers.key_by(|x| *x).window(tumbling(secs(1)));
        let ended = numbers.sink(s);
        let numbers = source(from_vec(v));
        let keyed = numbers.key_by(|x| *x);
        union(numbers, keyed).sink(s);
        numbers.union(keyed).sink(s);
    "#,
    ),
    (
        "graph: two inputs",
        r#"
        let a = source(scripted(v));
        let b = source(scripted(w));
        let k = a.key_by(|x| *x);
        connect(a, b).sink(s);
        connect(a, k).co_map(f, g).sink(s);
        connect(a, b).co_map(f).sink(s);
        connect(a, b).on(f, g).sink(s);
        join(a, b).window(tumbling(secs(1))).apply(f).sink(s);
        join(a, b).on(f, g).on(f, g).window(tumbling(secs(1))).apply(f).sink(s);
        join(a, b).on(f, g).trigger(t).apply(f).sink(s);
        join(a, b).on(f, g).apply(f).sink(s);
        co_group(a, b).on(f, g).window(w).apply(f, g).sink(s);
        interval_join(a, b).on(f, g).apply(f).sink(s);
        interval_join(a, b).on(f, g).upper_bound_exclusive().between(1, 2).apply(f).sink(s);
        interval_join(a, b).on(f, g).between(1, 2).late_right_to(x).late_right_to(y).apply(f).sink(s);
        interval_join(a, b).between(1, 2).apply(f).sink(s);
    "#,
    ),
    (
        "plan: parallelism",
        r#"
        source(from_vec(v)).map(f).parallelism(2).filter(g).parallelism(4).sink(s);
        source(from_vec(v)).window_all(tumbling(secs(1))).reduce(f).parallelism(3).sink(s);
    "#,
    ),
];

#[test]
fn refusals() {
    let mut text = String::new();
    for (title, source) in REFUSED {
        let _ = writeln!(text, "## {title}\n{}", compile(source).errors());
    }
    insta::assert_snapshot!("refusals", text);
}

/// After errors, the declarations of what was built still expand (each closure typed by
/// its witness), without the checks that what is missing would fail: a two-input node
/// without its function declares its keys only; a source that an event-time window
/// reads is not asked to be an `EventTimeSource`.
#[test]
fn best_effort_after_errors() {
    let compiled = compile(
        r#"
        let numbers = source(from_vec(vec![1u64, 2, 3])).map(|x| x + 1);
        numbers.key_by(|x| x % 2).window(tumbling(secs(1))).aggregate(count()).sink(print());
        numbers.fliter(|x| *x > 1).sink(print());
        let other = source(from_vec(vec![1u64]));
        connect(numbers, other).key_by(|a| *a, |b| *b).sink(print());
        connect(numbers, other).frobnicate();
        "#,
    );
    insta::assert_snapshot!("best_effort_errors", compiled.errors());
    insta::assert_snapshot!("best_effort_expansion", compiled.best_effort());
}

/// Validation asks the sources for the part of event time the pipeline leaves missing
/// before an event-time window or join, and only then (`needs-event-time` in the graph).
#[test]
fn event_time_sources() {
    let compiled = compile(
        r#"
        let untimed = source(from_vec(v));
        let stamped = source(from_vec(v)).event_time(|x| *x);
        let timed = source(from_vec(v)).event_time(|x| *x).watermark(monotonous());
        let stamping = source(scripted(v)).source_time();
        untimed.key_by(|x| *x).window(tumbling(secs(1))).reduce(f).sink(s);
        stamped.key_by(|x| *x).window(sliding(secs(2), secs(1))).reduce(f).sink(s);
        timed.key_by(|x| *x).window(session(secs(1))).reduce(f).sink(s);
        stamping.key_by(|x| *x).window(tumbling(secs(1))).reduce(f).sink(s);
        let p = source(from_vec(v));
        p.key_by(|x| *x).window(tumbling(secs(1)).processing_time()).reduce(f).sink(s);
        let c = source(from_vec(v));
        c.key_by(|x| *x).count_window(2).reduce(f).sink(s);
        let u = source(from_vec(v));
        union(u, timed).window_all(tumbling(secs(1))).reduce(f).sink(s);
        let l = source(from_vec(v));
        let r = source(from_vec(v)).event_time(|x| *x).watermark(monotonous());
        interval_join(l, r).on(f, g).between(-1, 1).apply(h).sink(s);
        "#,
    );
    insta::assert_snapshot!("event_time_sources", compiled.passes());
}

//! Compile-time refusals of `stream!`: each case under `tests/ui/` must fail to compile
//! with the reviewed message in its `.stderr` file, pointing at the user's code.

#[test]
fn stream_macro_refusals() {
    // The cases build the macro crate in the dev profile, linking the SQL planner with
    // full debug info: its generic lowering makes that debug info outgrow what the
    // linker can address (4 GiB). Line tables are all the cases need.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "line-tables-only");
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

//! Compile-time refusals of `sql!`: each case under `tests/ui/` must fail to compile with
//! the reviewed message in its `.stderr` file.

#[test]
fn sql_macro_refusals() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

//! Compile-time refusals of `stream!`: each case under `tests/ui/` must fail to compile
//! with the reviewed message in its `.stderr` file, pointing at the user's code.

#[test]
fn stream_macro_refusals() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

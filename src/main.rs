//! bantop binary
fn main() {}

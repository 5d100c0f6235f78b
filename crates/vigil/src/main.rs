//! vigil: one binary, many personalities (see DESIGN.md "Fixed interface").
fn main() {
    println!("vigil {}", env!("CARGO_PKG_VERSION"));
}

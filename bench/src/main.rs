//! The load driver for lessons 03-05: written with lesson 04.
fn main() {
    eprintln!("course-load: written with lesson 04");
    std::process::exit(1);
}

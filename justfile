# The course's commands. `just` alone lists them.
# Everything here calls `course`, a small Rust program in runner/, so that the
# recipes behave the same on Linux, macOS and Windows.

set windows-shell := ["powershell.exe", "-NoLogo", "-NoProfile", "-Command"]

# COURSE_ROOT tells the runner which checkout it works on (see runner/src/lessons.rs).
export COURSE_ROOT := justfile_directory()

course := "cargo run --quiet --package course-runner --"

# Start here: `just watch` checks your lesson on every save
[private]
default:
    @echo "Start with: just watch   (runs the first unfinished lesson's checks on every save; q quits)"
    @echo ""
    @just --list --unsorted

# Check a lesson on every save, e.g. `just watch 3` (alone: the first lesson not done; --poll if saves go unseen)
[no-exit-message]
watch *args:
    @{{course}} watch {{args}}

# Run a lesson's checks once, e.g. `just check 3`; `just check 6 robustness` runs only the checks named so; --all shows every failure
[no-exit-message]
check lesson *flags:
    @{{course}} check {{lesson}} {{flags}}

# Run the same checks on the reference solution of a lesson
[no-exit-message]
solution lesson *flags:
    @{{course}} solution {{lesson}} {{flags}}

# Show what differs between your code and the reference solution (asks first if your checks do not pass yet; --all: comments too)
[no-exit-message]
diff lesson *flags:
    @{{course}} diff {{lesson}} {{flags}}

# Put a lesson back to the stub as the course ships it (asks first; --yes to skip the question)
[no-exit-message]
reset lesson *flags:
    @{{course}} reset {{lesson}} {{flags}}

# Run one of a lesson's programs, e.g. `just run 2 server` or `just run 2 client hello`
[no-exit-message]
run lesson program *args:
    @{{course}} run {{lesson}} {{program}} {{args}}

# Run one of the reference solution's programs, e.g. `just run-solution 2 server`
[no-exit-message]
run-solution lesson program *args:
    @{{course}} run-solution {{lesson}} {{program}} {{args}}

# A table of every lesson and how many of its checks pass
[no-exit-message]
progress:
    @{{course}} progress

# Build the book and open it in a browser: `just book`, or `just book pt-BR` em português (installs mdBook the first time)
[no-exit-message]
book *language:
    @{{course}} book-serve {{language}}

# Maintainers: after changing the book's English, update the translations' catalogues (book/po/README.md)
[no-exit-message]
book-po:
    @{{course}} book-po

# Drive the reference servers with the same load and compare them (lessons 03-05)
load *args:
    cargo build --release --quiet --manifest-path solutions/Cargo.toml
    cargo run --release --quiet --package course-load -- {{args}}

# Maintainers: apply each wrong solution in tests/mutants/ and check that the first failure names it
mutants *args:
    {{course}} mutants {{args}}

# Maintainers: everything CI checks
test:
    cargo fmt --all --check
    cargo fmt --all --check --manifest-path solutions/Cargo.toml
    cargo clippy --locked --workspace --all-targets --quiet -- -D warnings
    cargo clippy --locked --workspace --all-targets --quiet --manifest-path solutions/Cargo.toml -- -D warnings
    cargo test --quiet --package course-harness --package course-runner --package course-cli
    {{course}} verify
    {{course}} mutants
    {{course}} book-check
    just cross

# Maintainers: lint both workspaces for macOS and Windows too (compiled, not run; a missing target is skipped in one line)
[unix]
cross:
    #!/usr/bin/env bash
    set -euo pipefail
    for target in aarch64-apple-darwin x86_64-pc-windows-gnu; do
        if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
            echo "cross-check for $target skipped: its standard library is not installed (rustup target add $target)"
            continue
        fi
        for manifest in Cargo.toml solutions/Cargo.toml; do
            cargo clippy --locked --workspace --all-targets --quiet --manifest-path "$manifest" --target "$target" -- -D warnings
        done
        echo "cross-check for $target: both workspaces compile, clippy clean"
    done

[windows]
cross:
    @echo "cross-checks run on Linux and macOS, which lint for the other systems' targets"

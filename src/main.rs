//! Entry point: everything is in the library ([`vicidial_callbackd::main`]).

fn main() -> std::process::ExitCode {
    vicidial_callbackd::main()
}

use std::process::ExitCode;

fn main() -> ExitCode {
    smsgate::cli::main()
}

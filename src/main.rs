fn main() -> std::process::ExitCode {
    tlsscope::cli::run()
}

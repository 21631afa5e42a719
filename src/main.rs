fn main() {
    std::process::exit(tlsscope::cli::run());
}

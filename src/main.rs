//! The `nimo` binary: parses the command line, sets up logging, runs the command.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Logs go to stderr; NIMO_LOG (or RUST_LOG) adjusts them, e.g. NIMO_LOG=nimo=debug.
    let filter = EnvFilter::try_from_env("NIMO_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let cli = nimo::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nimo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(nimo::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // The causes go to the log (stderr); the person reads one line in Japanese.
            tracing::error!(error = %format!("{e:#}"), "nimo failed");
            eprintln!("nimo: 内部でエラーが起きました。原因は上のログに記録しました。");
            ExitCode::FAILURE
        }
    }
}

//! The `nimo` binary: parses the command line, sets up logging, runs the command.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Logs go to stderr; NIMO_LOG (or RUST_LOG) adjusts them, e.g. NIMO_LOG=nimo=debug.
    let filter = EnvFilter::try_from_env("NIMO_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    // Colour only on a terminal (and never with NO_COLOR): log files stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();

    let cli = match nimo::cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
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
        // The reader went away (`nimo export --jsonl | head`): nothing is wrong.
        Err(e)
            if e.chain().any(|c| {
                let kind = c
                    .downcast_ref::<std::io::Error>()
                    .map(std::io::Error::kind)
                    .or_else(|| c.downcast_ref::<serde_json::Error>()?.io_error_kind());
                kind == Some(std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The causes go to the log (stderr); the person reads one line in Japanese.
            tracing::error!(error = %format!("{e:#}"), "nimo failed");
            eprintln!("nimo: 内部でエラーが起きました。原因は上のログに記録しました。");
            ExitCode::FAILURE
        }
    }
}

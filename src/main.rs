//! The `secure-photo-gallery` binary: parse arguments, run, turn errors into exit codes.

use std::process::ExitCode;

use clap::Parser;
use secure_photo_gallery::cli::{Cli, run};

fn main() -> ExitCode {
    // clap exits with status 2 on bad usage.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

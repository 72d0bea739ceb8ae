//! The `secure-photo-gallery` binary: parse arguments, open the app or run a command,
//! turn errors into exit codes.

use std::process::ExitCode;

mod cli;

use clap::Parser;
use cli::{Cli, run, vault_path};

fn open_window(vault: std::path::PathBuf) -> anyhow::Result<ExitCode> {
    secure_photo_gallery::ui::run(vault).map(|()| ExitCode::SUCCESS).map_err(|e| {
        anyhow::anyhow!(
            "the window could not be opened ({e}); on Linux it needs a display and the libxkbcommon-x11-0 and Vulkan or OpenGL libraries"
        )
    })
}

fn main() -> ExitCode {
    // Before anything holds a key: a crash must leave no core file with keys or photos.
    cli::harden_process();
    // Started by this binary to decode one AVIF, holding no key (see imaging's decoder process).
    if let Some(code) = spg_core::imaging::serve_decoder_process_if_asked() {
        return code;
    }
    // On Linux the running image itself, even once an upgrade replaced or removed its file.
    let program = if cfg!(target_os = "linux") { Ok("/proc/self/exe".into()) } else { std::env::current_exe() };
    if let Ok(program) = program {
        spg_core::imaging::use_decoder_program(program);
    }
    // clap exits with status 2 on bad usage.
    let cli = Cli::parse();
    if cli.install_desktop_entry {
        if cli.command.is_some() {
            eprintln!("error: --install-desktop-entry takes no command; run it on its own");
            return ExitCode::from(2);
        }
        return cli::install_desktop_entry().unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        });
    }
    let result = vault_path(cli.vault).and_then(|vault| match cli.command {
        Some(command) => run(vault, command),
        None => open_window(vault),
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if let Some(hint) = e.chain().find_map(cli::hint) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

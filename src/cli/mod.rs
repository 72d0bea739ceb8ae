//! The command line: the contract that scripts and tests rely on (README.md, "The
//! command line"; `--help` lists every command).
//! Synchronous; errors are `anyhow` here and nowhere else in the library.

/// `println!` for standard output, where a closed pipe is a normal end (see `output`).
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::output::line(format_args!($($arg)*)) };
}

mod account;
mod albums;
mod backup;
mod export;
mod hints;
mod mail;
pub(crate) mod output;

pub(crate) use hints::hint;
mod photos;
mod secrets;

/// No core dumps: called first thing, for the commands and the window alike.
pub(crate) use spg_core::harden_process;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

/// Secure Photo Gallery: a photo vault in one encrypted file.
#[derive(Debug, Parser)]
#[command(name = "secure-photo-gallery", version, about, long_about = None)]
pub(crate) struct Cli {
    /// The vault file (default: the platform data folder).
    #[arg(long, global = true, env = "SPG_VAULT", value_name = "PATH")]
    pub(crate) vault: Option<PathBuf>,
    /// Add the app to your applications menu, with its icon (for `cargo install` users;
    /// the .deb package does this for everyone): writes under ~/.local/share.
    #[arg(long)]
    pub(crate) install_desktop_entry: bool,
    /// What to do; without a command the desktop app opens.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create an account (password from SPG_PASSWORD or a prompt); prints the recovery key once.
    Register {
        /// The user name.
        #[arg(long)]
        user: String,
        /// Where photo passwords are emailed.
        #[arg(long)]
        email: String,
        /// How locked photos look after login: sharp thumbnails, a blurred placeholder,
        /// or nothing until the photo's password is given.
        #[arg(long, value_enum, default_value_t = PreviewsArg::Sharp)]
        previews: PreviewsArg,
    },
    /// Import photos: files or whole folders.
    Import {
        /// The account.
        #[arg(long)]
        user: String,
        /// Files or folders to import.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Also put the photos imported in this album (made when there is none of that name).
        #[arg(long, value_name = "NAME")]
        album: Option<String>,
        /// Also print what the image decoder said about each refused file.
        #[arg(long, short)]
        verbose: bool,
    },
    /// List the account's photos, newest first by date taken (those without one last, latest import first).
    List {
        /// The account.
        #[arg(long)]
        user: String,
        /// Print a JSON array instead of tab-separated lines.
        #[arg(long)]
        json: bool,
        /// Only the photos of this album.
        #[arg(long, value_name = "NAME")]
        album: Option<String>,
    },
    /// Albums: list, create, rename and delete them (the photos stay), add and remove photos.
    Album {
        #[command(subcommand)]
        action: AlbumAction,
    },
    /// Write photos out as their exact original bytes.
    Export(ExportArgs),
    /// Delete a photo and its encrypted data.
    Delete {
        /// The account.
        #[arg(long)]
        user: String,
        /// The photo IDs, as `list` shows them: `--id A --id B`, or `--id -` to read them
        /// from standard input (one login for all).
        #[arg(long = "id", required = true)]
        ids: Vec<String>,
    },
    /// Give back the space of deleted photos (a kill midway loses nothing).
    Compact,
    /// Change the login password (SPG_PASSWORD, then SPG_NEW_PASSWORD, or prompts).
    Passwd {
        /// The account.
        #[arg(long)]
        user: String,
    },
    /// Set a new login password with the recovery key (SPG_RECOVERY_KEY, SPG_NEW_PASSWORD).
    Recover {
        /// The account.
        #[arg(long)]
        user: String,
    },
    /// Check that every stored byte of the account's photos is intact.
    Verify {
        /// The account.
        #[arg(long)]
        user: String,
        /// After a warning that the vault is older than, or forked from, the copy last
        /// opened on this computer: accept this copy (a backup you restored on purpose).
        #[arg(long)]
        accept_this_copy: bool,
    },
    /// Choose where password emails go: an SMTP server, or the local outbox folder.
    #[command(group(clap::ArgGroup::new("route").required(true).args(["smtp_url", "outbox", "send_outbox", "email"])))]
    Mail {
        /// The account.
        #[arg(long)]
        user: String,
        /// smtp://USER[:PASSWORD]@HOST:PORT?tls=required (STARTTLS) or smtps://… (TLS);
        /// without a password in it, SPG_SMTP_PASSWORD or a prompt supplies it.
        #[arg(long, value_name = "URL")]
        smtp_url: Option<String>,
        /// The From address (default: the account's email).
        #[arg(long, value_name = "ADDR", requires = "smtp_url")]
        from: Option<String>,
        /// The code from the test email `--smtp-url` (or `--email`) sent: the settings take
        /// effect once it is given (on a terminal it is asked for).
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
        /// Change the account's email address (through SMTP, proven by a code sent there).
        #[arg(long, value_name = "ADDR")]
        email: Option<String>,
        /// Save emails as .eml files in the outbox folder beside the vault.
        #[arg(long)]
        outbox: bool,
        /// Send the account's emails waiting in the outbox through its SMTP server, and
        /// delete each one the server accepted.
        #[arg(long)]
        send_outbox: bool,
    },
    /// Back the account up to S3-compatible storage: sends what the bucket lacks, sealed
    /// (secret key from SPG_S3_SECRET_KEY or a prompt). The settings given are kept, sealed,
    /// in the account, so a later `backup --user NAME` needs none.
    Backup {
        /// The account.
        #[arg(long)]
        user: String,
        /// Where: s3://BUCKET/FOLDER.
        #[arg(long, value_name = "s3://BUCKET/FOLDER")]
        to: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
        /// First bring here the photos the bucket holds from the account's other computers
        /// (those deleted here stay deleted); then back up.
        #[arg(long)]
        pull: bool,
        /// Also remove from the bucket the photos deleted here (never done otherwise).
        #[arg(long)]
        prune: bool,
    },
    /// Restore an account from a backup into the vault (a new file, or one without that
    /// user), with its login password (SPG_PASSWORD), or with its recovery key
    /// (SPG_RECOVERY_KEY), which then sets a new password (SPG_NEW_PASSWORD).
    Restore {
        /// The account.
        #[arg(long)]
        user: String,
        /// The backup: s3://BUCKET/FOLDER.
        #[arg(long, value_name = "s3://BUCKET/FOLDER")]
        from: String,
        #[command(flatten)]
        server: ServerArgs,
        /// Open the backup with the recovery key instead of the login password, and set a
        /// new password: the way to restore a backup made before a password change.
        #[arg(long)]
        use_recovery_key: bool,
    },
}

/// What `album` does.
#[derive(Debug, Subcommand)]
pub(crate) enum AlbumAction {
    /// The account's albums: name, number of photos, and the ID of the photo shown for it.
    List {
        /// The account.
        #[arg(long)]
        user: String,
        /// Print a JSON array instead of tab-separated lines.
        #[arg(long)]
        json: bool,
    },
    /// Make a new, empty album.
    Create {
        /// The account.
        #[arg(long)]
        user: String,
        /// Its name (names are compared without case).
        name: String,
    },
    /// Give an album another name.
    Rename {
        /// The account.
        #[arg(long)]
        user: String,
        /// The album.
        name: String,
        /// Its new name.
        new_name: String,
    },
    /// Delete an album; its photos stay in the vault.
    Delete {
        /// The account.
        #[arg(long)]
        user: String,
        /// The album.
        name: String,
    },
    /// Put photos in an album (all in one transaction).
    Add {
        /// The account.
        #[arg(long)]
        user: String,
        /// The album.
        name: String,
        /// The photo IDs, as `list` shows them: `--id A --id B`, or `--id -` to read them
        /// from standard input.
        #[arg(long = "id", required = true)]
        ids: Vec<String>,
    },
    /// Take photos out of an album; they stay in the vault.
    Remove {
        /// The account.
        #[arg(long)]
        user: String,
        /// The album.
        name: String,
        /// The photo IDs: `--id A --id B`, or `--id -` to read them from standard input.
        #[arg(long = "id", required = true)]
        ids: Vec<String>,
    },
    /// Show an album by one of its photos.
    Cover {
        /// The account.
        #[arg(long)]
        user: String,
        /// The album.
        name: String,
        /// The photo, which must be in the album.
        #[arg(long)]
        id: String,
    },
}

/// The storage server of `backup` and `restore`.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// The S3 endpoint, e.g. https://s3.eu-central-003.backblazeb2.com (default: AWS's for
    /// the region). Plain http:// only to this machine (127.0.0.1, localhost).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: Option<String>,
    /// The region (default: us-east-1).
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// The access key ID (the secret key comes from SPG_S3_SECRET_KEY or a prompt).
    #[arg(long, value_name = "ID")]
    pub(crate) access_key: Option<String>,
}

/// `--previews`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PreviewsArg {
    /// The thumbnail.
    Sharp,
    /// A tiny blurred placeholder.
    Blurred,
    /// Nothing.
    Hidden,
}

impl From<PreviewsArg> for spg_core::vault::Previews {
    fn from(p: PreviewsArg) -> Self {
        match p {
            PreviewsArg::Sharp => Self::Sharp,
            PreviewsArg::Blurred => Self::Blurred,
            PreviewsArg::Hidden => Self::Hidden,
        }
    }
}

/// Options of `export`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["id", "all", "album"])))]
pub(crate) struct ExportArgs {
    /// The account.
    #[arg(long)]
    pub(crate) user: String,
    /// One photo, by ID; `--out` is then the file to write.
    #[arg(long)]
    pub(crate) id: Option<String>,
    /// Every photo; `--out` is then a folder.
    #[arg(long)]
    pub(crate) all: bool,
    /// Every photo of this album; `--out` is then a folder.
    #[arg(long, value_name = "NAME")]
    pub(crate) album: Option<String>,
    /// The file (with --id) or folder (with --all) to write.
    #[arg(long, value_name = "PATH")]
    pub(crate) out: PathBuf,
    /// A saved password email (.eml) or text with `Photo ID (NAME): PASSWORD` lines.
    #[arg(long = "passwords-file", value_name = "FILE")]
    pub(crate) passwords_files: Vec<PathBuf>,
    /// Open photos with the recovery key (SPG_RECOVERY_KEY) instead of their passwords.
    #[arg(long)]
    pub(crate) use_recovery_key: bool,
    /// Write the photo's thumbnail (a JPEG) instead of the original; needs only the login.
    #[arg(long, conflicts_with = "strip_metadata")]
    pub(crate) thumbnail: bool,
    /// Remove location (GPS), camera and all other EXIF, XMP, IPTC and comments, keeping
    /// the orientation; the pixels are not re-encoded.
    #[arg(long)]
    pub(crate) strip_metadata: bool,
}

/// The default vault location: `vault.redb` in the platform's data folder.
pub(crate) fn default_vault_path() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "secure-photo-gallery")
        .context("cannot find a home folder for the vault; pass --vault PATH or set SPG_VAULT")?;
    Ok(dirs.data_dir().join("vault.redb"))
}

/// `--install-desktop-entry`: the menu entry and icons for this user, for this binary.
pub(crate) fn install_desktop_entry() -> anyhow::Result<ExitCode> {
    let data_home = directories::BaseDirs::new()
        .map(|d| d.data_dir().to_path_buf())
        .context("no home folder to install the desktop entry into")?;
    let exe = std::env::current_exe().and_then(std::fs::canonicalize).context("cannot tell where this program is")?;
    let written = secure_photo_gallery::desktop::install_desktop_entry(&data_home, &exe)
        .with_context(|| format!("cannot write the desktop entry under {}", data_home.display()))?;
    for file in &written {
        say!("{}", file.display());
    }
    eprintln!(
        "Secure Photo Gallery is in your applications menu now (it starts {}); if the menu does not show it yet, log out and in again.",
        exe.display()
    );
    output::finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Gives back the room redb grew the vault file by ahead of need, so that the file a sync
/// service or a backup copies is no larger than what it holds (`Vault::give_back_growth`);
/// said on stderr, since it takes a moment. A failure here loses nothing: it is said, and
/// the command's own result stands.
fn give_back_growth(vault: &mut spg_core::vault::Vault, held_before: Option<u64>) {
    match vault.give_back_growth(held_before) {
        Ok(Some((before, after))) => {
            eprintln!(
                "The vault file was cut from {:.1} MB to {:.1} MB (room it had grown ahead of need)",
                before as f64 / 1e6,
                after as f64 / 1e6
            );
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("warning: the room the vault file grew ahead of need was not given back ({e}); `compact` does it")
        }
    }
}

/// The vault path: `--vault`/`SPG_VAULT`, else the default.
pub(crate) fn vault_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match given {
        Some(p) => Ok(p),
        None => default_vault_path(),
    }
}

/// Runs one command. `Ok(ExitCode::FAILURE)` means it ran but partly failed, having
/// already said why on stderr.
pub(crate) fn run(vault: PathBuf, command: Command) -> anyhow::Result<ExitCode> {
    let repairing = std::rc::Rc::new(std::cell::Cell::new(false));
    let notice = repairing.clone();
    let (mut vault, removed) = spg_core::service::open_vault(&vault, move |_| {
        if !notice.replace(true) {
            eprintln!(
                "The vault was not closed properly (a crash or power cut during an import); checking the whole file before use, which can take a minute for a large vault..."
            );
        }
    })?;
    if repairing.get() {
        eprintln!("The vault is checked and ready.");
    }
    for file in removed {
        eprintln!("Removed {}, left by an export or email that a crash interrupted", file.display());
    }
    // A command that wrote to the vault may have made redb grow the file ahead of need.
    let grows = matches!(
        command,
        Command::Import { .. } | Command::Restore { .. } | Command::Delete { .. } | Command::Album { .. }
    );
    let held_before = vault.held_on_disk();
    let result = match command {
        Command::Register { user, email, previews } => account::register(&vault, &user, &email, previews.into()),
        Command::Passwd { user } => account::passwd(&vault, &user),
        Command::Recover { user } => account::recover(&vault, &user),
        Command::Import { user, paths, verbose, album } => {
            photos::import(&vault, &user, &paths, verbose, album.as_deref())
        }
        Command::List { user, json, album } => photos::list(&vault, &user, json, album.as_deref()),
        Command::Album { action } => albums::album(&vault, action),
        Command::Delete { user, ids } => photos::delete(&vault, &user, &ids),
        Command::Compact => photos::compact(&mut vault),
        Command::Verify { user, accept_this_copy } => photos::verify(&vault, &user, accept_this_copy),
        Command::Export(args) => export::export(&vault, &args),
        Command::Mail { user, send_outbox: true, .. } => mail::send_outbox(&vault, &user),
        Command::Mail { user, email: Some(email), code, .. } => {
            mail::change_email(&vault, &user, &email, code.as_deref())
        }
        Command::Mail { user, smtp_url, from, code, .. } => {
            mail::mail(&vault, &user, smtp_url.as_deref(), from.as_deref(), code.as_deref())
        }
        Command::Backup { user, to, server, pull, prune } => {
            backup::backup(&vault, &user, to.as_deref(), &server, backup::How { pull, prune })
        }
        Command::Restore { user, from, server, use_recovery_key } => {
            backup::restore(&vault, &user, &from, &server, use_recovery_key)
        }
    };
    if grows && result.is_ok() {
        give_back_growth(&mut vault, held_before);
    }
    output::finish()?;
    result
}

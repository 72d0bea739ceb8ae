//! The decoder process: AVIF pictures are decoded by a process of the app's own binary,
//! started for one file, that holds no key. Its decoder (`rav1d`) is Rust, but a port of C
//! with much `unsafe` code: of 300 randomly changed AVIFs, 59 made it panic inside its C
//! interface, which aborts a process past any panic guard. In its own process such a file
//! is refused alone; and a file that found a flaw in it would find a process with no key,
//! no open vault, no environment (it starts with none), confined before it reads a byte
//! (`platform::confine`: on Linux a seccomp filter that leaves reading its input, writing
//! its answer, memory that is never executable, and ending), within memory and CPU-time
//! limits, and killed by the parent after a wall-clock limit. A crash, a limit reached or an
//! answer that does not add up is that file's refusal ([`ImageError::DecoderFailed`]),
//! never the import's end.
//!
//! The exchange, over pipes: the parent writes the file's bytes to the child's standard
//! input and closes it; the child answers on standard output with one of
//! - `P` then width and height (u32, little-endian) then width × height × 3 bytes of RGB;
//! - `U`, `D` or `T` then a UTF-8 detail: a feature it lacks (the file keeps the "No
//!   preview" tile), damaged data, a file cut short.
//!
//! The binary must be named by [`use_program`] (the app does it at start); where none is,
//! AVIFs are stored with the "No preview" tile, as a build without a decoder would.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use image::RgbImage;

use super::ImageError;
use super::error::MAX_SIDE;

/// The first argument that makes the binary a decoder process instead of the app.
const ARGUMENT: &str = "--decoder-process-avif";

/// The most address space the decoder process may take: a 100-megapixel AVIF decodes in
/// well under half of it.
const MEMORY_LIMIT: u64 = 2 << 30;
/// The most CPU time it may spend; a 20-megapixel camera AVIF takes about 0.5 s here.
const CPU_SECONDS: u64 = 30;
/// The most it may take from start to answer, however busy the machine.
const WALL_LIMIT: Duration = Duration::from_secs(60);

static PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Names the program started as the decoder process: the app's own binary (the app gives
/// `std::env::current_exe()`; tests give the built binary). The first call wins.
pub fn use_program(program: PathBuf) {
    let _ = PROGRAM.set(program);
}

/// When this process was started as a decoder process: decodes the file on standard input,
/// answers on standard output, and returns the exit code. `None` for the app itself.
pub fn serve_if_asked() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != ARGUMENT {
        return None;
    }
    let max_side = args.next().and_then(|a| a.to_str()?.parse::<u32>().ok()).unwrap_or(MAX_SIDE);
    // A panic says where, and no more: a backtrace would read files, which the
    // confinement forbids (the process would die of that instead of the panic).
    std::panic::set_hook(Box::new(|panic| eprintln!("{panic}")));
    let mut bytes = Vec::new();
    let read = match crate::platform::confine::confine(MEMORY_LIMIT, CPU_SECONDS) {
        // Not confined, it does not decode: the file keeps the "No preview" tile.
        Err(why) => Err(format!("the decoder process could not be confined ({why})")),
        Ok(()) => std::io::stdin().lock().read_to_end(&mut bytes).map_err(|e| e.to_string()),
    };
    if let Err(why) = read {
        return Some(answer(&[b"U", why.as_bytes()].concat()));
    }
    let reply = match super::avif::decode(&bytes, max_side) {
        Ok(picture) => {
            let mut out = Vec::with_capacity(9 + picture.as_raw().len());
            out.push(b'P');
            out.extend_from_slice(&picture.width().to_le_bytes());
            out.extend_from_slice(&picture.height().to_le_bytes());
            out.extend_from_slice(picture.as_raw());
            out
        }
        Err(ImageError::UnsupportedFeature { detail, .. }) => [b"U", detail.as_bytes()].concat(),
        Err(ImageError::Truncated { .. }) => b"T".to_vec(),
        Err(e) => [b"D", e.detail().unwrap_or(&e.to_string()).as_bytes()].concat(),
    };
    Some(answer(&reply))
}

/// Writes the answer to standard output; the exit code.
fn answer(answer: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(answer).and_then(|()| stdout.flush()).is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn failed(detail: String) -> ImageError {
    ImageError::DecoderFailed { format: "AVIF", detail }
}

/// Decodes an AVIF's primary picture in a decoder process: upright, its longest side at
/// most `max_side` pixels or a little over. [`ImageError::UnsupportedFeature`] when no
/// decoder process can be started, or the file uses a feature the decoder lacks.
pub(super) fn decode_avif(bytes: &[u8], max_side: u32) -> Result<RgbImage, ImageError> {
    let unavailable = |why: &str| ImageError::UnsupportedFeature { format: "AVIF", detail: why.to_string() };
    let program = PROGRAM.get().ok_or_else(|| unavailable("no decoder process in this program"))?;
    let mut command = Command::new(program);
    command.arg(ARGUMENT).arg(max_side.to_string()).env_clear();
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    // Its own process group, so that whatever it might start is killed with it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child =
        command.spawn().map_err(|e| unavailable(&format!("the decoder process could not be started: {e}")))?;
    let (mut stdin, stdout) = (child.stdin.take().expect("piped"), child.stdout.take().expect("piped"));
    let (answer, status) = std::thread::scope(|scope| {
        // A child that stops reading makes the write fail, which is its answer's business.
        scope.spawn(move || drop(stdin.write_all(bytes)));
        let reader = scope.spawn(move || read_answer(stdout, max_side));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() <= WALL_LIMIT => std::thread::sleep(Duration::from_millis(2)),
                waited => {
                    kill(&mut child);
                    break Err(failed(match waited {
                        Err(e) => format!("the decoder process could not be waited for: {e}"),
                        _ => format!("the decoder process ran over {} s", WALL_LIMIT.as_secs()),
                    }));
                }
            }
        };
        (reader.join().unwrap_or_else(|_| Err(failed("the answer could not be read".into()))), status)
    });
    let status = status?;
    if !status.success() {
        return Err(failed(format!("the decoder process stopped on this file ({status})")));
    }
    answer
}

/// Kills the decoder process and its process group, and reaps it.
fn kill(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(group) = i32::try_from(child.id()) {
        // SAFETY: kill takes plain integers; the group is the child's own (not reaped yet,
        // so its ID cannot have been reused).
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads the decoder process's answer, as untrusted as the file it read: the picture's size
/// is checked against what was asked before any room is made for its pixels, and exactly
/// that many are read.
fn read_answer(mut answer: impl Read, max_side: u32) -> Result<RgbImage, ImageError> {
    let mut kind = [0u8];
    if answer.read_exact(&mut kind).is_err() {
        return Err(failed("the decoder process gave no answer".to_string()));
    }
    let text = |answer: &mut dyn Read| {
        let mut text = Vec::new();
        let _ = answer.take(4096).read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    };
    match kind[0] {
        b'P' => {
            let mut size = [0u8; 8];
            answer.read_exact(&mut size).map_err(|_| failed("the decoder process's answer was cut short".into()))?;
            let width = u32::from_le_bytes(size[0..4].try_into().expect("four bytes"));
            let height = u32::from_le_bytes(size[4..8].try_into().expect("four bytes"));
            let largest = max_side.min(MAX_SIDE).saturating_mul(2);
            let bad =
                || failed(format!("the decoder process answered a {width}x{height} picture that does not add up"));
            if width == 0 || height == 0 || width.max(height) > largest {
                return Err(bad());
            }
            let mut pixels = vec![0u8; width as usize * height as usize * 3];
            answer.read_exact(&mut pixels).map_err(|_| bad())?;
            // Nothing may follow the pixels.
            if answer.read(&mut [0u8]).map_or(true, |n| n != 0) {
                return Err(bad());
            }
            RgbImage::from_raw(width, height, pixels).ok_or_else(bad)
        }
        b'U' => Err(ImageError::UnsupportedFeature { format: "AVIF", detail: text(&mut answer) }),
        b'D' => Err(ImageError::Damaged { format: "AVIF", detail: text(&mut answer) }),
        b'T' => Err(ImageError::Truncated { format: "AVIF" }),
        _ => Err(failed("the decoder process's answer is not one it gives".to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_that_does_not_add_up_is_the_files_refusal() {
        let picture = |w: u32, h: u32, n: usize| [&b"P"[..], &w.to_le_bytes(), &h.to_le_bytes(), &vec![7; n]].concat();
        assert_eq!(read_answer(&picture(2, 3, 18)[..], 512).unwrap().dimensions(), (2, 3));
        for bad in [picture(2, 3, 17), picture(2, 3, 19), picture(0, 3, 0), picture(5000, 1, 15000), b"P12".to_vec()] {
            assert!(
                matches!(read_answer(&bad[..], 512), Err(ImageError::DecoderFailed { .. })),
                "{:?}",
                &bad[..9.min(bad.len())]
            );
        }
        assert!(matches!(read_answer(&b""[..], 512), Err(ImageError::DecoderFailed { .. })));
        assert!(matches!(read_answer(&b"Ua grid"[..], 512), Err(ImageError::UnsupportedFeature { .. })));
        assert!(matches!(read_answer(&b"Dbad OBU"[..], 512), Err(ImageError::Damaged { .. })));
        assert!(matches!(read_answer(&b"T"[..], 512), Err(ImageError::Truncated { .. })));
    }

    #[test]
    fn without_a_decoder_process_an_avif_is_unsupported_not_refused() {
        // No program is named in the unit tests: the tile, as in a build without a decoder.
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/heif/camera.avif")).unwrap();
        assert!(matches!(decode_avif(&bytes, 512), Err(ImageError::UnsupportedFeature { .. })));
    }
}

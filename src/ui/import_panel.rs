//! The import panel: progress with count, speed and time left, Cancel, and afterwards
//! what was imported, skipped as duplicate or refused (with each reason), and where the
//! password email went.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::jobs::{FileOutcome, SessionEvent};
use spg_core::mail::Delivered;
use spg_core::service::import::ImportSummary;

use super::action::{Action, human_size};

/// One import's progress and outcome.
pub(super) struct ImportPanel {
    cancel: Arc<AtomicBool>,
    done: usize,
    total: usize,
    bytes: u64,
    started: Option<Instant>,
    /// The photos stored, as they were.
    imported: Vec<spg_core::vault::PhotoId>,
    /// The name typed for a new album to put them in.
    new_album: String,
    /// The album the photos go into (the one open when the import began).
    into: Option<String>,
    /// Files that will not be stored (duplicates and refusals), known while reading.
    skipped: usize,
    refused: Vec<(PathBuf, String)>,
    /// Files stored with the plain "No preview" tile, and what each is.
    no_preview: Vec<(PathBuf, String)>,
    mailed: Option<Delivered>,
    outcome: Option<Result<ImportSummary, String>>,
}

impl ImportPanel {
    /// A panel for an import about to start, into the album `into` if one is open.
    pub(super) fn new(into: Option<String>) -> ImportPanel {
        ImportPanel {
            cancel: Arc::new(AtomicBool::new(false)),
            done: 0,
            total: 0,
            bytes: 0,
            started: None,
            imported: Vec::new(),
            new_album: String::new(),
            into,
            skipped: 0,
            refused: Vec::new(),
            no_preview: Vec::new(),
            mailed: None,
            outcome: None,
        }
    }

    /// The flag the import checks between files.
    pub(super) fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Asks the import to stop at the next file.
    pub(super) fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Files read so far, and in all.
    pub(super) fn progress(&self) -> (usize, usize) {
        (self.done, self.total)
    }

    /// Whether the import is still going.
    pub(super) fn running(&self) -> bool {
        self.outcome.is_none()
    }

    /// Applies a progress event.
    pub(super) fn handle(&mut self, event: SessionEvent) {
        match event {
            SessionEvent::ImportProgress { done, total, bytes, started } => {
                (self.done, self.total, self.bytes, self.started) = (done, total, bytes, Some(started));
            }
            SessionEvent::ImportFile(_, FileOutcome::Imported(id)) => self.imported.push(id),
            SessionEvent::ImportFile(path, FileOutcome::NoPreview(id, what)) => {
                self.imported.push(id);
                self.no_preview.push((path, what));
            }
            SessionEvent::ImportFile(_, FileOutcome::Duplicate) => self.skipped += 1,
            SessionEvent::ImportFile(path, FileOutcome::Refused(reason)) => {
                self.skipped += 1;
                self.refused.push((path, reason));
            }
            SessionEvent::ImportMailed(whither) => self.mailed = Some(whither),
            _ => {}
        }
    }

    /// The album named `album` was made from this panel's menu: its field is done with.
    pub(super) fn album_made(&mut self, album: &str) {
        if self.new_album == album {
            self.new_album.clear();
        }
    }

    /// The import ended.
    pub(super) fn finished(&mut self, outcome: Result<ImportSummary, String>) {
        self.outcome = Some(outcome);
    }

    /// Draws the panel; `false` once the user closed it. It keeps one layout from start to
    /// end: a line of text with Cancel (then Close) at the right edge, where the pointer
    /// finds it, and a second line (the progress bar, then where the password email went);
    /// refusals wait, folded, under that.
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        albums: &[spg_core::service::AlbumSummary],
        actions: &mut Vec<Action>,
    ) -> bool {
        let mut keep = true;
        egui::Panel::bottom("import-panel").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    match &self.outcome {
                        None => {
                            if ui.button("Cancel").clicked() {
                                self.cancel();
                            }
                        }
                        Some(_) => {
                            keep = !ui.button("Close").clicked();
                            // What was stored can go into an album from here.
                            if !self.imported.is_empty() {
                                let (ids, name) = (&self.imported, &mut self.new_album);
                                let title = "🖼 Put in an album…";
                                super::albums::album_menu(ui, title, albums, (None, "imported"), ids, name, actions);
                            }
                        }
                    }
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| match &self.outcome {
                        None => {
                            super::widgets::spinner(ui, Some(14.0));
                            ui.add(egui::Label::new(self.progress_text()).truncate());
                        }
                        Some(Ok(summary)) => {
                            let mut text = summary_text(summary);
                            if let Some(album) = self.into.as_ref().filter(|_| summary.imported > 0) {
                                text += &format!(" into the album “{album}”");
                            }
                            ui.add(egui::Label::new(egui::RichText::new(text).strong()).truncate());
                        }
                        Some(Err(e)) => {
                            let text =
                                egui::RichText::new(format!("Import failed: {e}")).color(ui.visuals().error_fg_color);
                            ui.add(egui::Label::new(text).truncate());
                        }
                    });
                });
            });
            match (&self.outcome, &self.mailed) {
                (None, _) => {
                    // The bar follows the step the line names: reading, then storing.
                    let (done, of) = match self.done < self.total || self.total == 0 {
                        true => (self.done, self.total),
                        false => (self.imported.len(), self.total - self.skipped),
                    };
                    let fraction = if of == 0 { 0.0 } else { done as f32 / of as f32 };
                    ui.add(egui::ProgressBar::new(fraction).show_percentage().desired_height(16.0));
                }
                (Some(_), Some(Delivered::Saved { path: file, .. })) => {
                    ui.horizontal(|ui| {
                        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        ui.add(
                            egui::Label::new(format!("📧 Password email saved in the outbox as “{name}”")).truncate(),
                        );
                        if let Some(folder) = file.parent()
                            && ui.small_button("📂 Show").on_hover_text("Open the outbox folder").clicked()
                        {
                            actions.push(Action::ShowFolder(folder.to_path_buf()));
                        }
                    });
                }
                (Some(_), Some(Delivered::Sent { to, .. })) => {
                    ui.label(format!("📧 Password email sent to {to}"));
                }
                (Some(_), None) => {}
            }
            if self.outcome.is_some() && !self.refused.is_empty() {
                let title = format!("{} not imported", super::wording::count(self.refused.len(), "file", "files"));
                egui::CollapsingHeader::new(title).default_open(false).show(ui, |ui| {
                    egui::ScrollArea::vertical().max_height(120.0).show(ui, |ui| {
                        // Wrapped: a long path and its reason stay readable in a narrow window.
                        for (path, reason) in &self.refused {
                            ui.add(egui::Label::new(format!("{}: {reason}", path.display())).wrap());
                        }
                    });
                });
            }
            if self.outcome.is_some() && !self.no_preview.is_empty() {
                let title = format!(
                    "{} stored without a preview (they export exactly)",
                    super::wording::photos(self.no_preview.len())
                );
                egui::CollapsingHeader::new(title).default_open(false).show(ui, |ui| {
                    egui::ScrollArea::vertical().max_height(120.0).show(ui, |ui| {
                        for (path, what) in &self.no_preview {
                            ui.add(egui::Label::new(format!("{}: {what}", path.display())).wrap());
                        }
                    });
                });
            }
            ui.add_space(4.0);
        });
        keep
    }

    /// Each file is handled twice: read and checked, then (unless it is skipped) encrypted
    /// and stored. The steps done and the steps in all.
    fn steps(&self) -> (usize, usize) {
        (self.done + self.imported.len(), self.total + self.total.saturating_sub(self.skipped))
    }

    /// `Reading 12 of 40 files · 8.1 MB/s · about 20 s left`, then `Storing 3 of 38
    /// photos`: the time left only once it can be told (two seconds in, a tenth done).
    fn progress_text(&self) -> String {
        let elapsed = self.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
        let speed = if elapsed > 0.0 { self.bytes as f64 / elapsed } else { 0.0 };
        let mut text = if self.done < self.total || self.total == 0 {
            format!(
                "Reading {} of {}",
                super::wording::number(self.done),
                super::wording::count(self.total, "file", "files")
            )
        } else {
            format!(
                "Storing {} of {}",
                super::wording::number(self.imported.len()),
                super::wording::photos(self.total - self.skipped)
            )
        };
        if elapsed >= 1.0 && self.done < self.total {
            text += &format!(" · {}/s", human_size(speed as u64));
        }
        let (done, steps) = self.steps();
        if let Some(left) = super::wording::time_left(elapsed, done, steps) {
            text += &format!(" · {left}");
        }
        if let Some(album) = &self.into {
            text += &format!(" · into the album “{album}”");
        }
        text
    }
}

/// `Imported 3 photos, skipped 1 duplicate, refused 2 (cancelled)`.
fn summary_text(s: &ImportSummary) -> String {
    let mut text = format!("Imported {}", super::wording::photos(s.imported));
    if s.duplicates > 0 {
        text += &format!(", skipped {}", super::wording::count(s.duplicates, "duplicate", "duplicates"));
    }
    if s.failed > 0 {
        text += &format!(", refused {}", s.failed);
    }
    if s.cancelled {
        text += " (cancelled)";
    }
    text
}

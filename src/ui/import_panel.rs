//! The import panel: progress with count, speed and time left, Cancel, and afterwards
//! what was imported, skipped as duplicate or refused (with each reason), and where the
//! password email went.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::jobs::{Event, FileOutcome};
use crate::service::import::ImportSummary;

use super::action::human_size;

/// One import's progress and outcome.
pub(super) struct ImportPanel {
    cancel: Arc<AtomicBool>,
    done: usize,
    total: usize,
    bytes: u64,
    started: Option<Instant>,
    imported: usize,
    refused: Vec<(PathBuf, String)>,
    mailed: Option<String>,
    outcome: Option<Result<ImportSummary, String>>,
}

impl ImportPanel {
    /// A panel for an import about to start.
    pub(super) fn new() -> ImportPanel {
        ImportPanel {
            cancel: Arc::new(AtomicBool::new(false)),
            done: 0,
            total: 0,
            bytes: 0,
            started: None,
            imported: 0,
            refused: Vec::new(),
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

    /// Whether the import is still going.
    pub(super) fn running(&self) -> bool {
        self.outcome.is_none()
    }

    /// Applies a progress event.
    pub(super) fn handle(&mut self, event: Event) {
        match event {
            Event::ImportProgress { done, total, bytes, started } => {
                (self.done, self.total, self.bytes, self.started) = (done, total, bytes, Some(started));
            }
            Event::ImportFile(_, FileOutcome::Imported) => self.imported += 1,
            Event::ImportFile(_, FileOutcome::Duplicate) => {}
            Event::ImportFile(path, FileOutcome::Refused(reason)) => self.refused.push((path, reason)),
            Event::ImportMailed(whither) => self.mailed = Some(whither),
            _ => {}
        }
    }

    /// The import ended.
    pub(super) fn finished(&mut self, outcome: Result<ImportSummary, String>) {
        self.outcome = Some(outcome);
    }

    /// Draws the panel; `false` once the user closed it.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut keep = true;
        egui::Panel::bottom("import-panel").show(ui, |ui| {
            ui.add_space(6.0);
            match &self.outcome {
                None => self.progress(ui),
                Some(outcome) => keep = self.summary(ui, outcome.clone()),
            }
            ui.add_space(6.0);
        });
        keep
    }

    fn progress(&self, ui: &mut egui::Ui) {
        let elapsed = self.started.map_or(0.0, |s| s.elapsed().as_secs_f32()).max(0.001);
        let fraction = if self.total == 0 { 0.0 } else { self.done as f32 / self.total as f32 };
        let speed = self.bytes as f64 / f64::from(elapsed);
        let left = if self.done == 0 {
            String::new()
        } else {
            let secs = elapsed / self.done as f32 * (self.total - self.done) as f32;
            format!(" · about {secs:.0} s left")
        };
        ui.horizontal(|ui| {
            ui.add(egui::Spinner::new());
            ui.label(format!("Importing {} of {} files · {}/s{left}", self.done, self.total, human_size(speed as u64)));
            if ui.button("Cancel").clicked() {
                self.cancel();
            }
        });
        ui.add(egui::ProgressBar::new(fraction).show_percentage());
    }

    fn summary(&self, ui: &mut egui::Ui, outcome: Result<ImportSummary, String>) -> bool {
        let mut keep = true;
        ui.horizontal(|ui| {
            match &outcome {
                Ok(s) => {
                    let mut text = format!("Imported {}", super::wording::photos(s.imported));
                    if s.duplicates > 0 {
                        text +=
                            &format!(", skipped {}", super::wording::count(s.duplicates, "duplicate", "duplicates"));
                    }
                    if s.failed > 0 {
                        text += &format!(", refused {}", s.failed);
                    }
                    if s.cancelled {
                        text += " (cancelled)";
                    }
                    ui.label(egui::RichText::new(text).strong());
                }
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("Import failed: {e}"));
                }
            }
            if ui.button("Close").clicked() {
                keep = false;
            }
        });
        if let Some(mailed) = &self.mailed {
            ui.label(format!("📧 Password email {mailed}"));
        }
        let refused = &self.refused;
        if !refused.is_empty() {
            egui::CollapsingHeader::new(format!(
                "{} not imported",
                super::wording::count(refused.len(), "file", "files")
            ))
            .default_open(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().max_height(120.0).show(ui, |ui| {
                    for (path, reason) in refused {
                        ui.label(format!("{}: {reason}", path.display()));
                    }
                });
            });
        }
        keep
    }
}

//! The widgets the screens share: the account screens' card, secret fields without undo
//! history, the previews choice, the strength meter, error lines, the theme, and the
//! opening and fatal screens.

use spg_core::vault::Previews;

/// How often a [`spinner`] turns: ten frames a second.
const SPINNER_FRAME: std::time::Duration = std::time::Duration::from_millis(100);

/// A spinner of `size` points (the line height when `None`) that asks for a new frame ten
/// times a second, where egui's asks for every frame: under a software renderer (a virtual
/// machine, a remote desktop, Xvfb) each frame of the window keeps both cores busy for
/// tens of milliseconds, which the work the spinner waits for (the login, the list of a
/// million photos) needs: at a million photos the first screen after the login came 0.3 to
/// 0.6 s later with egui's (docs/BENCHMARKS.md, the first screen in a real window).
pub(super) fn spinner(ui: &mut egui::Ui, size: Option<f32>) -> egui::Response {
    let size = size.unwrap_or(ui.style().spacing.interact_size.y);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::new(egui::Role::ProgressIndicator));
    if ui.is_rect_visible(rect) {
        ui.ctx().request_repaint_after(SPINNER_FRAME);
        // egui's spinner: an arc turning once a second, growing and shrinking.
        let radius = rect.height().min(rect.width()) * 0.5 - 2.0;
        let points = (radius.round() as usize).clamp(8, 128);
        let time = ui.input(|i| i.time);
        let (start, sweep) = (time * std::f64::consts::TAU, 240f64.to_radians() * time.sin());
        let arc = (0..points)
            .map(|i| {
                let (sin, cos) = (start + sweep * i as f64 / points as f64).sin_cos();
                rect.center() + radius * egui::vec2(cos as f32, sin as f32)
            })
            .collect();
        ui.painter().add(egui::Shape::line(arc, egui::Stroke::new(3.0, ui.visuals().strong_text_color())));
    }
    response
}

/// A centred card with a title: the frame of the account screens.
pub(super) fn card(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::CentralPanel::default().show(ui, |ui| {
        // Scrolls when the window is too short for the card, so nothing is out of reach.
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            let width = 400.0_f32.min(ui.available_width() - 48.0);
            ui.vertical_centered(|ui| {
                ui.add_space((ui.available_height() * 0.08).clamp(12.0, 64.0));
                ui.heading(egui::RichText::new("🔒 Secure Photo Gallery").size(26.0).strong());
                ui.add_space(16.0);
                egui::Frame::group(ui.style()).inner_margin(20.0).corner_radius(8.0).show(ui, |ui| {
                    ui.set_width(width);
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        ui.label(egui::RichText::new(title).size(18.0).strong());
                        ui.add_space(8.0);
                        add(ui);
                    });
                });
                ui.add_space(16.0);
            });
        });
    });
}

/// A one-line field for a secret (a password): masked, and without egui's undo history,
/// which would otherwise keep earlier copies of what was typed in memory for as long as
/// the field's state lives.
pub(super) fn secret_field(ui: &mut egui::Ui, text: &mut String, width: f32) -> egui::Response {
    ui.horizontal(|ui| {
        // Hidden as it is typed; the eye beside it shows it, until clicked again or the
        // screen changes (`hide_secrets`).
        let shown_id = ui.scope_id().with("shown");
        let shown = ui.data(|d| d.get_temp::<SecretShown>(shown_id)).is_some_and(|s| s.0);
        let room = if width.is_finite() { width } else { ui.available_width() } - 32.0;
        let response = ui.add(egui::TextEdit::singleline(text).password(!shown).desired_width(room.max(80.0)));
        let what = if shown { "Hide the password" } else { "Show the password" };
        let eye = ui.selectable_label(shown, "👁").on_hover_text(what);
        eye.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, shown, "Show password"));
        if eye.clicked() {
            ui.data_mut(|d| d.insert_temp(shown_id, SecretShown(!shown)));
        }
        forget_undo(ui.ctx(), response.id);
        response
    })
    .inner
}

/// Whether a secret field shows what it holds (its eye was clicked).
#[derive(Clone, Copy, Default)]
struct SecretShown(bool);

/// Hides every secret field's text again: when the screen changes (a lock, a login, the
/// next form), a password shown a moment ago is not shown on the next screen's field.
pub(super) fn hide_secrets(ctx: &egui::Context) {
    ctx.data_mut(|d| d.remove_by_type::<SecretShown>());
}

/// Drops the undo history egui keeps for the text field `id` (copies of earlier text),
/// for fields that hold secrets: passwords, a pasted password email.
pub(super) fn forget_undo(ctx: &egui::Context, id: egui::Id) {
    if let Some(mut state) = egui::TextEdit::load_state(ctx, id) {
        state.clear_undoer();
        state.store(ctx, id);
    }
}

/// The choice of how locked photos look after login, with what each choice means: on the
/// registration form and in the settings.
pub(super) fn previews_choice(ui: &mut egui::Ui, previews: &mut Previews) -> bool {
    let mut changed = false;
    ui.label("Previews of locked photos");
    ui.horizontal(|ui| {
        for (value, label) in [(Previews::Sharp, "Sharp"), (Previews::Blurred, "Blurred"), (Previews::Hidden, "Hidden")]
        {
            changed |= ui.radio_value(previews, value, label).changed();
        }
    });
    let explanation = match previews {
        Previews::Sharp => "Anyone with your login sees every photo at thumbnail size.",
        Previews::Blurred => "Your login shows only a blur; a photo's password shows its preview.",
        Previews::Hidden => {
            "Your login shows nothing of a photo until its password is given; a preview shows again only once its photo is unlocked."
        }
    };
    ui.label(egui::RichText::new(explanation).weak());
    changed
}

/// What every account form shares: waiting for the worker (Argon2 runs there), and the
/// last refusal.
#[derive(Default)]
pub(super) struct FormState {
    /// Sent, and waiting for the answer.
    pub(super) busy: bool,
    /// Why the last try was refused.
    pub(super) error: Option<String>,
}

impl FormState {
    /// The form's main button, with a spinner beside it while the worker runs. True when
    /// the form is `ready` and the button was clicked or Enter pressed in its last field
    /// (`enter`): the form is busy from then on.
    pub(super) fn submit(&mut self, ui: &mut egui::Ui, label: &str, ready: bool, enter: bool) -> bool {
        let ready = ready && !self.busy;
        let button = ui.add_enabled(ready, egui::Button::new(label).min_size(egui::vec2(110.0, 30.0)));
        if self.busy {
            spinner(ui, None);
        }
        let go = ready && (button.clicked() || enter);
        if go {
            self.busy = true;
            self.error = None;
        }
        go
    }

    /// The worker refused: say why, and let the user try again.
    pub(super) fn failed(&mut self, error: String) {
        self.busy = false;
        self.error = Some(error);
    }

    /// The refusal, under the form.
    pub(super) fn error_line(&self, ui: &mut egui::Ui) {
        error_line(ui, self.error.as_deref());
    }
}

/// An error message under a form, in the theme's error colour.
pub(super) fn error_line(ui: &mut egui::Ui, error: Option<&str>) {
    if let Some(e) = error {
        ui.add_space(4.0);
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

/// The strength meter under a new password: the vault's own rule
/// ([`spg_core::vault::password_strength`]) as the user types, with why a password would be
/// refused and what to do. Returns whether the rule accepts the password.
pub(super) fn strength_meter(ui: &mut egui::Ui, password: &str, names: &[&str]) -> bool {
    let strength = spg_core::vault::password_strength(password, names);
    // Green only where the rule accepts it (score 4).
    let color = match strength.score {
        0 | 1 => egui::Color32::from_rgb(200, 60, 60),
        2 | 3 => egui::Color32::from_rgb(220, 150, 40),
        _ => egui::Color32::from_rgb(40, 160, 90),
    };
    // One height whatever is typed: the fields below do not move under the pointer.
    let (fill, text) = match password.is_empty() {
        true => (0.0, "Strength".to_string()),
        false => ((f32::from(strength.score) + 1.0) / 5.0, format!("Strength: {}", strength.label())),
    };
    ui.add(egui::ProgressBar::new(fill).fill(color).text(text).desired_height(14.0));
    let capital = |said: String| {
        let mut chars = said.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
    };
    let (sentence, color) = match (strength.refusal(), strength.praise()) {
        _ if password.is_empty() => (String::new(), ui.visuals().weak_text_color()),
        (Some(refusal), _) => (capital(refusal), ui.visuals().warn_fg_color),
        (None, praise) => (capital(praise.unwrap_or_default()) + ".", ui.visuals().weak_text_color()),
    };
    // Two lines are kept for the reason, whether or not there is one, so the fields below
    // move only for the rare reason that takes three.
    let line = egui::RichText::new(&sentence).color(color);
    let kept = 2.0 * ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let used = ui.add(egui::Label::new(line).wrap()).rect.height();
    ui.add_space((kept - used - ui.spacing().item_spacing.y).max(0.0));
    !password.is_empty() && strength.acceptable()
}

/// A new password typed twice: the first field, the strength meter, the repeat, and a
/// word when the two differ. `labels` are the two fields' labels.
pub(super) struct NewPassword {
    /// The first field.
    pub(super) first: egui::Response,
    /// The repeat (Enter there submits).
    pub(super) repeat: egui::Response,
    /// Whether the rule accepts the password and the repeat is the same.
    pub(super) ready: bool,
}

/// Draws a [`NewPassword`]; `names` are what the password must not be built from.
pub(super) fn new_password(
    ui: &mut egui::Ui,
    labels: [&str; 2],
    password: &mut String,
    repeat: &mut String,
    names: &[&str],
) -> NewPassword {
    let l = ui.label(labels[0]);
    let first = secret_field(ui, password, f32::INFINITY).labelled_by(l.id);
    let strong = strength_meter(ui, password, names);
    let l = ui.label(labels[1]);
    let second = secret_field(ui, repeat, f32::INFINITY).labelled_by(l.id);
    if !repeat.is_empty() && password != repeat {
        ui.colored_label(ui.visuals().warn_fg_color, "The passwords differ.");
    }
    NewPassword { first, repeat: second, ready: strong && password == repeat }
}

/// How much room a toolbar has: the toolbars drop words, then move things into a menu,
/// as the window narrows (tried at 1280, 800 and 640 points wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Room {
    /// Icons only; the rest in an overflow menu (below 760 points).
    Narrow,
    /// Icons with short words (760 to 1020 points).
    Medium,
    /// Everything, with full words.
    Wide,
}

impl Room {
    /// The room left in `ui` across.
    pub(super) fn of(ui: &egui::Ui) -> Room {
        match ui.available_width() {
            w if w >= 1020.0 => Room::Wide,
            w if w >= 760.0 => Room::Medium,
            _ => Room::Narrow,
        }
    }
}

/// A toolbar button: `icon` and `text` when there is room, the icon alone when not (then
/// `text` is its tooltip and the name screen readers and tests know it by).
pub(super) fn tool_button(ui: &mut egui::Ui, room: Room, icon: &str, text: &str, enabled: bool) -> egui::Response {
    if room == Room::Narrow {
        let response = ui.add_enabled(enabled, egui::Button::new(icon)).on_hover_text(text);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, format!("{icon} {text}")));
        response
    } else {
        ui.add_enabled(enabled, egui::Button::new(format!("{icon} {text}")))
    }
}

/// Sets the light or dark theme.
pub(super) fn apply_theme(ctx: &egui::Context, dark: bool) {
    ctx.set_theme(if dark { egui::Theme::Dark } else { egui::Theme::Light });
}

/// While the vault opens: a spinner, or the progress of the repair redb makes after a
/// crash (it reads the whole file: seconds for a large vault).
pub(super) fn opening(ui: &mut egui::Ui, repair: Option<f64>) {
    match repair {
        None => card(ui, "Opening the vault…", |ui| {
            spinner(ui, None);
        }),
        Some(progress) => card(ui, "Checking the vault", |ui| {
            ui.label(
                "Secure Photo Gallery was not closed properly last time (a crash or a power cut during an import). \
                 The whole vault is checked before use; this can take a minute for a large vault.",
            );
            ui.add_space(8.0);
            ui.add(egui::ProgressBar::new(progress as f32).show_percentage());
        }),
    }
}

/// The vault cannot be used: say so, and what to do.
pub(super) fn fatal(ui: &mut egui::Ui, message: &str) {
    card(ui, "The vault cannot be opened", |ui| {
        ui.label(message);
        ui.add_space(8.0);
        if ui.button("Quit").clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    });
}
